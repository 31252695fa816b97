package io.otfuse.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.otfuse.io.BertConfig;
import io.otfuse.io.Checkpoint;
import io.otfuse.io.CheckpointWriter;
import io.otfuse.io.ExitCode;
import io.otfuse.io.OtfuseException;
import io.otfuse.io.VitConfig;
import io.otfuse.model.train.Training;
import io.otfuse.model.train.TrainLoop;
import io.otfuse.model.train.TrainOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train a ViT (image classification) or BERT (masked LM) from scratch; writes a Hugging Face checkpoint folder after every epoch.")
public class TrainCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "vit|bert", description = "Model family")
    String kind;
    @Option(names = "--out", required = true, description = "Output checkpoint folder")
    Path out;
    @Option(names = "--data", description = "ViT: fashion-mnist (default), an IDX or CIFAR folder, cifar10:DIR, cifar100:DIR. BERT: wordnet (default) or a plain-text file (one passage per line)")
    String data;
    @Option(names = "--hidden", description = "Hidden size (default: ViT 64, BERT 128)")
    Integer hidden;
    @Option(names = "--layers", description = "Encoder layers (default: 4)")
    Integer layers;
    @Option(names = "--heads", description = "Attention heads (default: 4)")
    Integer heads;
    @Option(names = "--mlp", description = "Intermediate (MLP) size (default: ViT 128, BERT 512)")
    Integer mlp;
    @Option(names = "--patch", description = "ViT patch size. Default: ${DEFAULT-VALUE}")
    int patch = 7;
    @Option(names = "--vocab-size", description = "BERT WordPiece vocabulary size (built from the corpus). Default: ${DEFAULT-VALUE}")
    int vocabSize = 8000;
    @Option(names = "--max-len", description = "BERT sequence length (packed). Default: ${DEFAULT-VALUE}")
    int maxLen = 64;
    @Option(names = "--resume", description = "Continue an interrupted run in --out from its last finished epoch")
    boolean resume;
    @Option(names = "--force", description = "Replace an existing --out folder")
    boolean force;
    @Mixin
    TrainFlags flags = new TrainFlags();

    @Override
    public Integer call() {
        ModelCommands.threads(flags.threads);
        boolean vit = switch (kind) {
            case "vit" -> true;
            case "bert" -> false;
            default -> throw new OtfuseException(ExitCode.USAGE, "train: model family must be vit or bert, got '" + kind + "'");
        };
        TrainOptions o = flags.options();
        ObjectNode resumed = null;
        if (resume) {
            if (!Files.isRegularFile(out.resolve(TrainLoop.STATE))) {
                throw new OtfuseException(ExitCode.USAGE, out + ": nothing to resume (no " + TrainLoop.STATE + ")");
            }
            resumed = TrainLoop.readState(out);
            o = TrainOptions.fromJson(resumed.path("options"));
        } else {
            CheckpointWriter.checkDestination(out, force, List.of());
        }
        if (vit) {
            int h = hidden == null ? 64 : hidden, l = layers == null ? 4 : layers, hd = heads == null ? 4 : heads, m = mlp == null ? 128 : mlp;
            String spec = data == null ? "fashion-mnist" : data;
            if (resumed != null) spec = resumed.path("data").asText(spec);
            Training.trainVit(resume ? null : new Training.VitShape(h, l, hd, m, patch), resume ? Checkpoint.open(out) : null, spec, o, out,
                    resumed, !flags.noProgress, System.out);
        } else {
            int h = hidden == null ? 128 : hidden, l = layers == null ? 4 : layers, hd = heads == null ? 4 : heads, m = mlp == null ? 512 : mlp;
            String spec = data == null ? "wordnet" : data;
            if (resumed != null) spec = resumed.path("data").asText(spec);
            Training.trainBert(resume ? null : new Training.BertShape(h, l, hd, m, vocabSize, maxLen), resume ? Checkpoint.open(out) : null, spec, o,
                    out, resumed, !flags.noProgress, System.out);
        }
        return 0;
    }
}
