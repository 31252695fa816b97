package io.otfuse.fusion;

import io.otfuse.io.Checkpoint;
import io.otfuse.io.CheckpointWriter;
import io.otfuse.io.ModelConfig;
import io.otfuse.io.TensorEntry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Writes a neuron-permuted copy of a model that computes the same function: one permutation of the residual
 * stream shared by every tensor that reads or writes it; per layer one permutation of the heads, shared by
 * Q, K and V (so attention patterns follow their values), with neurons permuted inside heads (Q and K share
 * theirs, V and the output projection share theirs); the MLP units; the pooler. It reuses the planner with a
 * shared stream and shared Q/K, so the permuted axes are exactly the spaces fusion aligns.
 */
public final class Permuter {
    private Permuter() {}

    /** The permutation of every planned space ({@code perm[i]} = new index of old neuron i). */
    public static Map<String, int[]> permutations(Plan plan, ModelConfig c, long seed) {
        Random rnd = new Random(seed);
        Map<String, int[]> perms = new HashMap<>();
        Map<Integer, int[]> headPerm = new HashMap<>();
        int h = c.numAttentionHeads, d = c.headDim();
        for (Plan.Space sp : plan.spaces()) {
            if (sp.rule() != Plan.Rule.SOLVE) throw new IllegalStateException("permute plan has a join: " + sp.id());
            int n = io.otfuse.fusion.spec.ArchSpec.size(sp.size(), c);
            if (sp.heads()) {
                int[] heads = headPerm.computeIfAbsent(sp.layer(), l -> shuffle(h, rnd));
                int[] p = new int[n];
                for (int g = 0; g < h; g++) {
                    int[] inner = shuffle(d, rnd);
                    for (int i = 0; i < d; i++) p[g * d + i] = heads[g] * d + inner[i];
                }
                perms.put(sp.id(), p);
            } else {
                perms.put(sp.id(), shuffle(n, rnd));
            }
        }
        return perms;
    }

    public static Plan plan(Checkpoint ckpt) {
        FusionOptions o = FusionOptions.preset("default");
        o.topology = "shared-stream";
        o.qk = "shared";
        o.clsMap = "stream";
        o.referenceAxes = false;
        return Executor.planFor(List.of(ckpt), o);
    }

    /** Writes the permuted copy of {@code src} to {@code out}. */
    public static void permute(Path src, long seed, Path out, boolean force) {
        CheckpointWriter.checkDestination(out, force, List.of(src));
        try (Checkpoint c = Checkpoint.open(src)) {
            Plan plan = plan(c);
            Map<String, int[]> perms = permutations(plan, c.config(), seed);
            // permutation matrices are built when a tensor needs them; a small LRU keeps the heap bounded (dense plans)
            Map<String, TransportMap.Matrix> cache = new java.util.LinkedHashMap<>(16, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, TransportMap.Matrix> eldest) {
                    return size() > 8;
                }
            };
            java.util.function.Function<String, TransportMap.Matrix> mats =
                    sp -> cache.computeIfAbsent(sp, k -> TransportMap.permutation(perms.get(k)).normalised(TransportMap.Norm.ROWS));
            List<TensorEntry> entries = new ArrayList<>();
            for (Plan.Tensor t : plan.tensors()) {
                long[] shape = c.info(t.name()).shape().clone();
                io.otfuse.io.DType dt = c.info(t.name()).dtype();
                // computed when the writer reaches the tensor: one tensor in the heap at a time
                entries.add(new TensorEntry(t.name(), dt, shape, () -> {
                    float[] x = c.readFloats(t.name());
                    for (int a = 0; a < shape.length; a++) {
                        String sp = t.spaces().get(a);
                        if (sp != null) x = Transport.apply(x, shape, a, mats.apply(sp));
                    }
                    return io.otfuse.io.Tensors.fromFloats(x, dt);
                }));
            }
            new CheckpointWriter(out, force).config(c.config()).tensors(entries).companionsFrom(c).write();
        }
    }

    static int[] shuffle(int n, Random rnd) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
