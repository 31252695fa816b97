package io.otfuse.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.otfuse.io.BertConfig;
import io.otfuse.io.Checkpoint;
import io.otfuse.io.DType;
import io.otfuse.io.HfLayout;
import io.otfuse.io.ModelConfig;
import io.otfuse.io.TensorEntry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The parameters of a model as float32 NDArrays keyed by their Hugging Face names, in HF order
 * ({@link HfLayout#expected}). Arrays are owned by the manager given at creation; they are private
 * copies (never memory-mapped), so training may update them in place.
 */
public final class Params implements AutoCloseable {
    private final ModelConfig config;
    private final NDManager manager;
    private final LinkedHashMap<String, NDArray> arrays = new LinkedHashMap<>();

    private Params(ModelConfig config, NDManager manager) {
        this.config = config;
        this.manager = manager;
    }

    public ModelConfig config() {
        return config;
    }

    public NDManager manager() {
        return manager;
    }

    /**
     * Loads every tensor of the checkpoint (as float32 copies) under a new sub-manager of {@code parent}. Each tensor is
     * read from the file straight into the memory of a fresh engine array, so the weights never pass through the heap.
     */
    public static Params load(Checkpoint ckpt, NDManager parent) {
        Params p = new Params(ckpt.config(), parent.newSubManager());
        for (Map.Entry<String, long[]> e : HfLayout.expected(ckpt.config()).entrySet()) {
            NDArray a = p.manager.create(new Shape(e.getValue()), DataType.FLOAT32);
            ckpt.readFloats(e.getKey(), a.toByteBuffer(true));
            p.put(e.getKey(), a);
        }
        return p;
    }

    /** Parameters from float arrays keyed by HF name (shapes from the config). */
    public static Params fromFloats(ModelConfig config, Map<String, float[]> values, NDManager parent) {
        Params p = new Params(config, parent.newSubManager());
        for (Map.Entry<String, long[]> e : HfLayout.expected(config).entrySet()) {
            float[] v = values.get(e.getKey());
            if (v == null) throw new IllegalArgumentException("missing tensor " + e.getKey());
            p.put(e.getKey(), p.manager.create(v, new Shape(e.getValue())));
        }
        return p;
    }

    /**
     * Fresh parameters initialised as Hugging Face does: weights (Linear, Conv, embeddings, ViT cls and
     * position embeddings) from a normal distribution with std {@code initializer_range} (truncated at
     * two std for ViT, as HF's trunc_normal_), biases zero, LayerNorm weight 1 and bias 0. Deterministic in
     * {@code seed} (Java RNG, independent of the engine).
     */
    public static Params init(ModelConfig config, long seed, NDManager parent) {
        Params p = new Params(config, parent.newSubManager());
        SplittableRandom rng = new SplittableRandom(seed);
        boolean vit = config.family() == ModelConfig.Family.VIT;
        double std = config.initializerRange;
        for (Map.Entry<String, long[]> e : HfLayout.expected(config).entrySet()) {
            String n = e.getKey();
            long[] shape = e.getValue();
            int numel = 1;
            for (long d : shape) numel = Math.multiplyExact(numel, (int) d);
            float[] v = new float[numel];
            boolean isNorm = n.contains("LayerNorm") || n.contains("layernorm");
            if (isNorm) {
                if (n.endsWith(".weight")) java.util.Arrays.fill(v, 1f);
            } else if (n.endsWith(".bias") && !n.equals("cls.predictions.bias")) {
                // zero
            } else if (n.equals("cls.predictions.bias")) {
                // zero
            } else {
                for (int i = 0; i < numel; i++) v[i] = (float) (std * (vit ? truncatedGaussian(rng) : gaussian(rng)));
                if (!vit && n.equals("bert.embeddings.word_embeddings.weight")) {
                    int h = (int) shape[1];
                    int pad = ((BertConfig) config).padTokenId;
                    java.util.Arrays.fill(v, pad * h, pad * h + h, 0f);
                }
            }
            p.put(n, p.manager.create(v, new Shape(shape)));
        }
        return p;
    }

    static double gaussian(SplittableRandom r) {
        // Box-Muller (one value per call keeps the stream simple and reproducible)
        double u1 = r.nextDouble(), u2 = r.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
    }

    static double truncatedGaussian(SplittableRandom r) {
        double g;
        do {
            g = gaussian(r);
        } while (g < -2 || g > 2);
        return g;
    }

    private void put(String name, NDArray a) {
        a.setName(name);
        arrays.put(name, a);
    }

    public NDArray get(String name) {
        NDArray a = arrays.get(name);
        if (a == null) throw new IllegalArgumentException("no parameter " + name);
        return a;
    }

    /** Names in HF order. */
    public List<String> names() {
        return new ArrayList<>(arrays.keySet());
    }

    public Map<String, NDArray> arrays() {
        return java.util.Collections.unmodifiableMap(arrays);
    }

    /** Copies of all tensors as float arrays, in HF order. */
    public Map<String, float[]> stateDict() {
        Map<String, float[]> m = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : arrays.entrySet()) m.put(e.getKey(), e.getValue().toFloatArray());
        return m;
    }

    public long parameterCount() {
        long n = 0;
        for (NDArray a : arrays.values()) n += a.size();
        return n;
    }

    /**
     * Writes a checkpoint folder: config.json, model.safetensors (float32), the given companion files copied (such as
     * preprocessor_config.json) and extra files by name.
     */
    public java.nio.file.Path save(java.nio.file.Path dir, boolean force, List<java.nio.file.Path> companions, Map<String, byte[]> files) {
        io.otfuse.io.CheckpointWriter w = new io.otfuse.io.CheckpointWriter(dir, force).config(config).tensors(entries(DType.F32));
        for (java.nio.file.Path c : companions) w.companion(c);
        for (Map.Entry<String, byte[]> e : files.entrySet()) w.file(e.getKey(), e.getValue());
        return w.write();
    }

    /** Tensor entries for {@link io.otfuse.io.CheckpointWriter}, stored as {@code dtype}. */
    public List<TensorEntry> entries(DType dtype) {
        List<TensorEntry> out = new ArrayList<>();
        for (Map.Entry<String, NDArray> e : arrays.entrySet()) {
            out.add(TensorEntry.ofFloats(e.getKey(), e.getValue().getShape().getShape(), e.getValue().toFloatArray(), dtype));
        }
        return out;
    }

    /** Turns gradient recording on or off for every parameter. */
    public void requireGradients(boolean on) {
        for (NDArray a : arrays.values()) a.setRequiresGradient(on);
    }

    /** Same dtype check used by callers that build parameters themselves. */
    static void checkFloat32(NDArray a) {
        if (a.getDataType() != DataType.FLOAT32) throw new IllegalArgumentException(a.getName() + " is not float32");
    }

    @Override
    public void close() {
        manager.close();
    }
}
