package io.otfuse.cli;

import io.otfuse.io.Checkpoint;
import io.otfuse.io.CheckpointWriter;
import io.otfuse.io.ExitCode;
import io.otfuse.io.OtfuseException;
import io.otfuse.io.VitConfig;
import io.otfuse.model.train.Training;
import io.otfuse.model.train.TrainLoop;
import io.otfuse.model.train.TrainOptions;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "finetune", mixinStandardHelpOptions = true,
        description = "Continue training a checkpoint (e.g. a fused model) with its own budget; writes a new checkpoint folder after every epoch.")
public class FinetuneCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "DIR", description = "Checkpoint folder to start from")
    Path in;
    @Option(names = "--out", required = true, description = "Output checkpoint folder")
    Path out;
    @Option(names = "--data", description = "Training data (as for train; default fashion-mnist / wordnet)")
    String data;
    @Option(names = "--resume", description = "Continue an interrupted finetune in --out")
    boolean resume;
    @Option(names = "--force", description = "Replace an existing --out folder")
    boolean force;
    @Mixin
    TrainFlags flags = new TrainFlags();

    @Override
    public Integer call() {
        ModelCommands.threads(flags.threads);
        TrainOptions o = flags.options();
        ObjectNode resumed = null;
        Path start = in;
        if (resume) {
            if (!Files.isRegularFile(out.resolve(TrainLoop.STATE))) throw new OtfuseException(ExitCode.USAGE, out + ": nothing to resume (no " + TrainLoop.STATE + ")");
            resumed = TrainLoop.readState(out);
            o = TrainOptions.fromJson(resumed.path("options"));
            start = out;
        } else {
            CheckpointWriter.checkDestination(out, force, List.of(in));
        }
        Checkpoint ck = Checkpoint.open(start);
        boolean vit = ck.config() instanceof VitConfig;
        String spec = data != null ? data : (vit ? "fashion-mnist" : "wordnet");
        if (resumed != null) spec = resumed.path("data").asText(spec);
        if (vit) Training.trainVit(null, ck, spec, o, out, resumed, !flags.noProgress, System.out);
        else Training.trainBert(null, ck, spec, o, out, resumed, !flags.noProgress, System.out);
        return 0;
    }
}
