package io.otfuse.fusion;

import io.otfuse.io.BertConfig;
import io.otfuse.io.CheckpointWriter;
import io.otfuse.io.DType;
import io.otfuse.io.HfLayout;
import io.otfuse.io.ModelConfig;
import io.otfuse.io.TensorEntry;
import io.otfuse.io.VitConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Small random HF checkpoints for tests. */
final class TinyModels {
    private TinyModels() {}

    static VitConfig vit(int hidden, int heads, int mlp, int layers, int image, int patch) {
        return VitConfig.create(hidden, layers, heads, mlp, image, patch, 3, List.of("a", "b", "c"));
    }

    static BertConfig bert(int hidden, int heads, int mlp, int layers) {
        return BertConfig.create(hidden, layers, heads, mlp, 50, 16);
    }

    /** Writes a model with weights from N(0, std^2), LayerNorm weights from 1 + N(0, 0.1^2). */
    static Path write(Path dir, ModelConfig c, long seed, double std) {
        return write(dir, c, seed, std, null);
    }

    /** {@link #write(Path, ModelConfig, long, double)}, with entry 0 of the first tensor whose name contains {@code nanIn} set to NaN. */
    static Path write(Path dir, ModelConfig c, long seed, double std, String nanIn) {
        Random r = new Random(seed);
        List<TensorEntry> ts = new ArrayList<>();
        for (Map.Entry<String, long[]> e : HfLayout.expected(c).entrySet()) {
            long n = 1;
            for (long d : e.getValue()) n *= d;
            float[] x = new float[(int) n];
            boolean lnWeight = e.getKey().contains("LayerNorm.weight") || e.getKey().contains("layernorm") && e.getKey().endsWith("weight");
            for (int i = 0; i < n; i++) x[i] = (float) ((lnWeight ? 1 : 0) + r.nextGaussian() * (lnWeight ? 0.1 : std));
            if (nanIn != null && e.getKey().contains(nanIn)) {
                x[0] = Float.NaN;
                nanIn = null;
            }
            ts.add(TensorEntry.ofFloats(e.getKey(), e.getValue(), x, DType.F32));
        }
        new CheckpointWriter(dir, true).config(c).tensors(ts).write();
        return dir;
    }
}
