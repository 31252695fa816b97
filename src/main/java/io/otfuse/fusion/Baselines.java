package io.otfuse.fusion;

import io.otfuse.io.Checkpoint;
import io.otfuse.io.CheckpointWriter;
import io.otfuse.io.DType;
import io.otfuse.io.ExitCode;
import io.otfuse.io.HfLayout;
import io.otfuse.io.OtfuseException;
import io.otfuse.io.TensorEntry;
import io.otfuse.io.Tensors;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** The baselines OT fusion is compared with: vanilla fusion (plain weight average) and output ensembling. */
public final class Baselines {
    private Baselines() {}

    /** Plain per-tensor average of models with identical shapes (uniform weights when {@code weights} is null). */
    public static void vanilla(List<Path> dirs, double[] weights, Path out, boolean force) {
        CheckpointWriter.checkDestination(out, force, dirs);
        List<Checkpoint> ms = new ArrayList<>();
        try {
            for (Path d : dirs) ms.add(Checkpoint.open(d));
            Checkpoint first = ms.get(0);
            List<TensorEntry> entries = new ArrayList<>();
            DType dtype = first.weights().mainFloatType();
            for (var e : HfLayout.expected(first.config()).entrySet()) {
                String name = e.getKey();
                long[] shape = e.getValue();
                for (int k = 0; k < ms.size(); k++) {
                    if (!Arrays.equals(ms.get(k).info(name).shape(), shape)) {
                        throw new OtfuseException(ExitCode.INCOMPATIBLE_MODELS, "vanilla averaging needs equal shapes: " + name + " differs in model " + k);
                    }
                }
                // averaged when the writer reaches the tensor, so only one tensor is in memory at a time
                entries.add(new TensorEntry(name, dtype, shape, () -> {
                    float[] acc = new float[(int) Executor.numel(shape)];
                    for (int k = 0; k < ms.size(); k++) {
                        float w = (float) (weights == null ? 1.0 / ms.size() : weights[k]);
                        float[] x = ms.get(k).readFloats(name);
                        for (int i = 0; i < acc.length; i++) acc[i] += w * x[i];
                    }
                    return Tensors.fromFloats(acc, dtype);
                }));
            }
            new CheckpointWriter(out, force).config(first.config()).tensors(entries).companionsFrom(first).write();
        } finally {
            for (Checkpoint c : ms) c.close();
        }
    }

    /** Output ensembling: the weighted average of the models' logits ({@code [model][sample][class]}). */
    public static float[][] ensembleLogits(List<float[][]> logits, double[] weights) {
        int s = logits.get(0).length, c = logits.get(0)[0].length;
        float[][] out = new float[s][c];
        for (int k = 0; k < logits.size(); k++) {
            float w = (float) (weights == null ? 1.0 / logits.size() : weights[k]);
            for (int i = 0; i < s; i++) for (int j = 0; j < c; j++) out[i][j] += w * logits.get(k)[i][j];
        }
        return out;
    }
}
