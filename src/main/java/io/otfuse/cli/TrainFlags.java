package io.otfuse.cli;

import io.otfuse.model.train.TrainOptions;
import picocli.CommandLine.Option;

/** Training flags shared by train and finetune (picocli mixin). */
public class TrainFlags {
    @Option(names = "--seed", description = "Random seed (init, data order, augmentation, masking). Default: ${DEFAULT-VALUE}")
    long seed = 0;
    @Option(names = "--epochs", description = "Epochs. Default: ${DEFAULT-VALUE}")
    int epochs = 12;
    @Option(names = "--batch", description = "Batch size. Default: ${DEFAULT-VALUE}")
    int batch = 128;
    @Option(names = "--lr", description = "Peak learning rate (AdamW). Default: ${DEFAULT-VALUE}")
    double lr = 1e-3;
    @Option(names = "--warmup", description = "Warm-up: steps if ≥ 1, else a fraction of all steps. Default: ${DEFAULT-VALUE}")
    double warmup = 0.05;
    @Option(names = "--weight-decay", description = "Decoupled weight decay (not on biases, LayerNorm, cls/position embeddings). Default: ${DEFAULT-VALUE}")
    double weightDecay = 0.05;
    @Option(names = "--label-smoothing", description = "Label smoothing (ViT). Default: ${DEFAULT-VALUE}")
    double labelSmoothing = 0.1;
    @Option(names = "--clip", description = "Global gradient-norm clip (0 = off). Default: ${DEFAULT-VALUE}")
    double clip = 1.0;
    @Option(names = "--limit", description = "Use only the first N training examples (0 = all)")
    int limit = 0;
    @Option(names = "--eval-limit", description = "Evaluate on the first N held-out examples (0 = all)")
    int evalLimit = 0;
    @Option(names = "--crop-pad", description = "ViT augmentation: random crop after zero padding by P pixels. Default: ${DEFAULT-VALUE}")
    int cropPad = 2;
    @Option(names = "--flip", description = "ViT augmentation: random horizontal flips (off by default)")
    boolean flip = false;
    @Option(names = "--dropout", description = "Hidden and attention dropout during training. Default: ${DEFAULT-VALUE}")
    double dropout = 0.0;
    @Option(names = "--mask-prob", description = "BERT: fraction of tokens selected for MLM (80/10/10). Default: ${DEFAULT-VALUE}")
    double maskProb = 0.15;
    @Option(names = "--threads", description = "PyTorch intra-op threads (default: ${DEFAULT-VALUE}). The same seed, flags and thread count give "
            + "identical model bytes")
    Integer threads = 1;
    @Option(names = "--stop-after", hidden = true, description = "Stop after this many epochs as if interrupted (for testing --resume)")
    int stopAfter = 0;
    @Option(names = "--no-progress", description = "No progress bar (one line per epoch only)")
    boolean noProgress = false;

    TrainOptions options() {
        ModelCommands.positive("--epochs", epochs);
        ModelCommands.positive("--batch", batch);
        ModelCommands.positive("--lr", lr);
        ModelCommands.nonNegative("--warmup", warmup);
        ModelCommands.nonNegative("--weight-decay", weightDecay);
        ModelCommands.nonNegative("--clip", clip);
        ModelCommands.nonNegative("--limit", limit);
        ModelCommands.nonNegative("--crop-pad", cropPad);
        if (labelSmoothing < 0 || labelSmoothing >= 1) throw new io.otfuse.io.OtfuseException(io.otfuse.io.ExitCode.USAGE, "--label-smoothing must be in [0, 1)");
        if (dropout < 0 || dropout >= 1) throw new io.otfuse.io.OtfuseException(io.otfuse.io.ExitCode.USAGE, "--dropout must be in [0, 1)");
        if (maskProb <= 0 || maskProb >= 1) throw new io.otfuse.io.OtfuseException(io.otfuse.io.ExitCode.USAGE, "--mask-prob must be in (0, 1)");
        TrainOptions o = new TrainOptions();
        o.seed = seed;
        o.epochs = epochs;
        o.batch = batch;
        o.lr = lr;
        o.warmup = warmup;
        o.weightDecay = weightDecay;
        o.labelSmoothing = labelSmoothing;
        o.maxGradNorm = clip;
        o.limit = limit;
        o.evalLimit = evalLimit;
        o.cropPad = cropPad;
        o.flip = flip;
        o.dropout = dropout;
        o.maskProb = maskProb;
        o.stopAfter = stopAfter;
        return o;
    }
}
