package io.otfuse.cli;

import io.otfuse.demo.Demo;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"The main job in one command: train two small ViT parents on Fashion-MNIST (or reuse them from the cache), fuse them "
                + "(vanilla averaging; OT from weights; OT from activations), evaluate everything on the 10 000 test images, finetune the best "
                + "fused model briefly, print a table and write the models, fusion reports and report.html to --out.",
                "Fashion-MNIST comes from the Debian package dataset-fashion-mnist (installed when run as root or with sudo; otherwise exit 10 "
                        + "with the command to run)."})
public class DemoCommand implements Callable<Integer> {
    @Option(names = "--out", description = "Output folder (refused if it exists, unless --force). Default: ${DEFAULT-VALUE}")
    Path out = Path.of("demo-out");
    @Option(names = "--force", description = "Replace an existing --out folder")
    boolean force;
    @Option(names = "--cache", description = "Where trained parents are kept, keyed by recipe (default: $OTFUSE_CACHE/demo-parents, else .cache/demo-parents in the otfuse folder)")
    Path cache;
    @Option(names = "--epochs", description = "Parent epochs (a changed recipe retrains). Default: ${DEFAULT-VALUE}")
    int epochs = Demo.Recipe.standard().epochs;
    @Option(names = "--finetune-epochs", description = "Finetune epochs. Default: ${DEFAULT-VALUE}")
    int finetuneEpochs = Demo.Recipe.standard().finetuneEpochs;
    @Option(names = "--no-finetune-vanilla", description = "Finetune only the best OT-fused model, not vanilla averaging too")
    boolean noFinetuneVanilla;
    @Option(names = "--threads", description = "PyTorch intra-op threads (default: $OTFUSE_THREADS if set, else 1: on a shared 2-core machine two threads were 14x slower, idle they gain < 10 %)")
    Integer threads;
    @Option(names = "--no-progress", description = "No progress bars (one line per step and epoch)")
    boolean noProgress;

    @Override
    public Integer call() {
        ModelCommands.threadsDefaultOne(threads);
        ModelCommands.positive("--epochs", epochs);
        ModelCommands.positive("--finetune-epochs", finetuneEpochs);
        Demo.Recipe r = Demo.Recipe.standard();
        r.epochs = epochs;
        r.finetuneEpochs = finetuneEpochs;
        r.finetuneVanilla = !noFinetuneVanilla;
        Demo.run(new Demo.Options(out, force, cache != null ? cache : Demo.defaultCache(), r, new io.otfuse.fusion.ModelActivationSource(), !noProgress, System.out));
        return 0;
    }
}
