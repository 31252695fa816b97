package io.otfuse.cli;

import io.otfuse.fusion.ModelActivationSource;
import io.otfuse.io.ExitCode;
import io.otfuse.io.OtfuseException;
import io.otfuse.reproduce.BertStudy;
import io.otfuse.reproduce.VitStudy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "reproduce", mixinStandardHelpOptions = true,
        description = {"The full study of the paper's claims, as a resumable pipeline. vit: ViTs on Fashion-MNIST (parents of >= 4 seeds, one-shot "
                + "fusion per pair, ablations, finetuning with equal budgets against the parents trained further, N = 2..4 models, heterogeneous "
                + "compression). bert: masked-LM BERTs on WordNet glosses (one-shot validation loss, short finetune).",
                "Every step writes its result to DIR/steps/ID.json and is skipped when that file exists, so an interrupted run continues where it "
                        + "stopped (rerun the same command). At the end: DIR/results.json, DIR/RESULTS.md (markdown tables), DIR/report.html, DIR/plots/."})
public class ReproduceCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "vit|bert", description = "Which study")
    String study;
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Study folder: created, or resumed when it exists")
    Path out;
    @Option(names = "--quick", description = "Reduced study (small data subsets, few epochs, fewer ablation values) to check the pipeline in minutes")
    boolean quick;
    @Option(names = "--parents", paramLabel = "DIR", description = "Folder with trained parents to reuse: subfolders named <recipe>-seed<S> "
            + "(vit: vit-crop1-seed1..4 and the narrow anchor vit-crop1-h48-seed1; bert: bert-ft2-seed1..2), checked against the recipe. Missing ones are trained into DIR/parents.")
    Path parents;
    @Option(names = "--wait-parents", description = "vit: wait (polling every minute) for a parent in --parents that is still being trained elsewhere, "
            + "instead of refusing it; the steps that need only the finished parents run first")
    boolean waitParents;
    @Option(names = "--threads", description = "PyTorch intra-op threads (default: $OTFUSE_THREADS if set, else 1)")
    Integer threads;
    @Option(names = "--budget", paramLabel = "EPOCHS", description = "Finetuning budget in epochs, may be fractional (default: 10 %% of the parents' epochs: vit 1.5, bert 0.5; --quick: 0.3 for both)")
    Double budget;
    @Option(names = "--ft-lr", description = "Finetuning peak learning rate (default: vit 5e-4, bert 5e-4)")
    Double ftLr;
    @Option(names = "--ft-schedule", description = "Finetuning schedule after warm-up: cosine, linear or constant (default cosine)")
    String ftSchedule;
    @Option(names = "--seeds", description = "vit: number of parent seeds (>= 2; pairs (1,2), (3,4), ...). Default 4")
    Integer seeds;
    @Option(names = "--no-progress", description = "No progress bars (one line per step and epoch; for logs)")
    boolean noProgress;

    @Override
    public Integer call() {
        ModelCommands.threadsDefaultOne(threads);
        if (budget != null) ModelCommands.positive("--budget", budget);
        if (ftLr != null) ModelCommands.positive("--ft-lr", ftLr);
        if (ftSchedule != null && !ftSchedule.matches("cosine|linear|constant")) {
            throw new OtfuseException(ExitCode.USAGE, "--ft-schedule must be cosine, linear or constant, got '" + ftSchedule + "'");
        }
        if (parents != null && !Files.isDirectory(parents)) throw new OtfuseException(ExitCode.USAGE, "--parents " + parents + ": not a folder");
        switch (study) {
            case "vit" -> {
                VitStudy.Settings s = quick ? VitStudy.Settings.quick() : VitStudy.Settings.full();
                if (budget != null) s.budget = budget;
                if (ftLr != null) s.ftLr = ftLr;
                if (ftSchedule != null) s.ftSchedule = ftSchedule;
                if (seeds != null) {
                    if (seeds < 2) throw new OtfuseException(ExitCode.USAGE, "--seeds must be at least 2, got " + seeds);
                    s.seeds = seeds;
                }
                VitStudy.run(new VitStudy.Options(out, parents, s, new ModelActivationSource(), !noProgress, System.out, waitParents));
            }
            case "bert" -> {
                BertStudy.Settings s = quick ? BertStudy.Settings.quick() : BertStudy.Settings.full();
                if (budget != null) s.budget = budget;
                if (ftLr != null) s.ftLr = ftLr;
                if (ftSchedule != null) s.ftSchedule = ftSchedule;
                if (seeds != null) throw new OtfuseException(ExitCode.USAGE, "--seeds applies to vit only (bert uses seeds 1 and 2)");
                BertStudy.run(new BertStudy.Options(out, parents, s, new ModelActivationSource(), !noProgress, System.out));
            }
            default -> throw new OtfuseException(ExitCode.USAGE, "reproduce: unknown study '" + study + "' (valid: vit, bert)");
        }
        return 0;
    }
}
