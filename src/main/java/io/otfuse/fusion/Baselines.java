package io.otfuse.fusion;

import io.otfuse.io.Checkpoint;
import io.otfuse.io.CheckpointWriter;
import io.otfuse.io.ExitCode;
import io.otfuse.io.HfLayout;
import io.otfuse.io.OtfuseException;
import io.otfuse.io.TensorEntry;
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
            for (var e : HfLayout.expected(first.config()).entrySet()) {
                float[] acc = new float[(int) Executor.numel(e.getValue())];
                for (int k = 0; k < ms.size(); k++) {
                    if (!Arrays.equals(ms.get(k).info(e.getKey()).shape(), e.getValue())) {
                        throw new OtfuseException(ExitCode.INCOMPATIBLE_MODELS, "vanilla averaging needs equal shapes: " + e.getKey() + " differs in model " + k);
                    }
                    float w = (float) (weights == null ? 1.0 / ms.size() : weights[k]);
                    float[] x = ms.get(k).readFloats(e.getKey());
                    for (int i = 0; i < acc.length; i++) acc[i] += w * x[i];
                }
                entries.add(TensorEntry.ofFloats(e.getKey(), e.getValue(), acc, first.weights().mainFloatType()));
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
