package io.otfuse.fusion;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.otfuse.io.Checkpoint;
import io.otfuse.io.CheckpointWriter;
import io.otfuse.io.DType;
import io.otfuse.io.HfLayout;
import io.otfuse.io.ModelConfig;
import io.otfuse.io.TensorEntry;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Poolers and the NSP head are fused when every model has them; buffers and the tied decoder are not written. */
class OptionalTensorsTest {
    @TempDir
    Path tmp;

    static Path withExtras(Path dir, ModelConfig c, long seed, Map<String, long[]> extras, boolean positionIds) {
        Random r = new Random(seed);
        List<TensorEntry> ts = new ArrayList<>();
        Map<String, long[]> all = new java.util.LinkedHashMap<>(HfLayout.expected(c));
        all.putAll(extras);
        for (Map.Entry<String, long[]> e : all.entrySet()) {
            int n = (int) Executor.numel(e.getValue());
            float[] x = new float[n];
            boolean ln = e.getKey().endsWith("weight") && (e.getKey().contains("LayerNorm") || e.getKey().contains("layernorm"));
            for (int i = 0; i < n; i++) x[i] = (float) ((ln ? 1 : 0) + r.nextGaussian() * (ln ? 0.1 : 0.2));
            ts.add(TensorEntry.ofFloats(e.getKey(), e.getValue(), x, DType.F32));
        }
        if (positionIds) {
            ByteBuffer b = ByteBuffer.allocate(16 * 8).order(ByteOrder.LITTLE_ENDIAN);
            for (long i = 0; i < 16; i++) b.putLong(i);
            ts.add(TensorEntry.ofBytes("bert.embeddings.position_ids", DType.I64, new long[] {1, 16}, b.flip()));
        }
        new CheckpointWriter(dir, true).config(c).tensors(ts).write();
        return dir;
    }

    @Test
    void bertPoolerNspHeadAndBuffers() {
        ModelConfig c = PermuteRecoverTest.bertCfg();
        Map<String, long[]> extras = Map.of("bert.pooler.dense.weight", new long[] {48, 48}, "bert.pooler.dense.bias", new long[] {48},
                "cls.seq_relationship.weight", new long[] {2, 48}, "cls.seq_relationship.bias", new long[] {2},
                "cls.predictions.decoder.weight", new long[] {50, 48});
        Path a = withExtras(tmp.resolve("a"), c, 1, extras, true);
        Permuter.permute(a, 3, tmp.resolve("p"), false);
        FusionOptions o = FusionOptions.preset("default");
        o.weights = new double[] {0, 1};
        Fusion.fuse(List.of(a, tmp.resolve("p")), o, tmp.resolve("f"), false, null, null);
        try (Checkpoint ca = Checkpoint.open(a); Checkpoint cf = Checkpoint.open(tmp.resolve("f"))) {
            List<String> names = cf.weights().names();
            assertTrue(names.contains("bert.pooler.dense.weight") && names.contains("cls.seq_relationship.weight"), names.toString());
            assertFalse(names.contains("bert.embeddings.position_ids"));
            assertFalse(names.contains("cls.predictions.decoder.weight")); // tied to the word embeddings
            for (String n : names) assertTrue(PermuteRecoverTest.maxDiff(ca, cf, n) < 1e-5, n);
        }
    }

    @Test
    void vitPoolerOnlyWhenEveryModelHasIt() {
        ModelConfig c = PermuteRecoverTest.vitCfg();
        Path a = withExtras(tmp.resolve("a"), c, 1, Map.of("vit.pooler.dense.weight", new long[] {48, 48}, "vit.pooler.dense.bias", new long[] {48}), false);
        Path b = TinyModels.write(tmp.resolve("b"), c, 2, 0.2);
        Permuter.permute(a, 3, tmp.resolve("p"), false);
        FusionOptions o = FusionOptions.preset("default");
        o.weights = new double[] {0, 1};
        Fusion.fuse(List.of(a, tmp.resolve("p")), o, tmp.resolve("f"), false, null, null);
        try (Checkpoint ca = Checkpoint.open(a); Checkpoint cf = Checkpoint.open(tmp.resolve("f"))) {
            assertTrue(cf.weights().names().contains("vit.pooler.dense.weight"));
            for (String n : cf.weights().names()) assertTrue(PermuteRecoverTest.maxDiff(ca, cf, n) < 1e-5, n);
        }
        Fusion.fuse(List.of(a, b), FusionOptions.preset("default"), tmp.resolve("g"), false, null, null);
        try (Checkpoint cg = Checkpoint.open(tmp.resolve("g"))) {
            assertFalse(cg.weights().names().contains("vit.pooler.dense.weight"));
        }
    }
}
