package io.otfuse.io;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A checkpoint folder: {@code config.json}, the weights, and companion files (image preprocessor,
 * tokenizer) that a derived model carries over. Opening validates the tensors against the config.
 */
public final class Checkpoint implements AutoCloseable {
    /** Files copied from a parent checkpoint to a derived one. */
    public static final List<String> COMPANIONS = List.of(
            "preprocessor_config.json", "tokenizer.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json");

    private final Path dir;
    private final ModelConfig config;
    private final WeightStore weights;
    private final Map<String, String> storedName; // canonical name -> name in the files

    private Checkpoint(Path dir, ModelConfig config, WeightStore weights, Map<String, String> storedName) {
        this.dir = dir;
        this.config = config;
        this.weights = weights;
        this.storedName = storedName;
    }

    /** Opens a folder and checks that its tensors are exactly those its config implies. */
    public static Checkpoint open(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new OtfuseException(ExitCode.BAD_CHECKPOINT, dir + ": " + (Files.exists(dir) ? "not a folder" : "no such checkpoint folder"));
        }
        ModelConfig config = ModelConfig.read(dir);
        WeightStore w = WeightStore.open(dir);
        try {
            Map<String, String> stored = new HashMap<>();
            for (String n : w.names()) stored.put(HfLayout.canonical(n), n);
            Map<String, long[]> expected = HfLayout.expected(config);
            Set<String> optional = HfLayout.optional(config);
            List<String> missing = new ArrayList<>();
            for (Map.Entry<String, long[]> e : expected.entrySet()) {
                String s = stored.get(e.getKey());
                if (s == null) {
                    missing.add(e.getKey());
                    continue;
                }
                TensorInfo t = w.info(s);
                if (!Arrays.equals(t.shape(), e.getValue())) {
                    throw new OtfuseException(ExitCode.BAD_CHECKPOINT, dir + ": tensor '" + s + "' has shape " + t.shapeString()
                            + " but config.json implies " + Arrays.toString(e.getValue()));
                }
                if (!t.dtype().isFloating()) {
                    throw new OtfuseException(ExitCode.BAD_CHECKPOINT, dir + ": tensor '" + s + "' has dtype " + t.dtype() + "; weights must be floating point");
                }
            }
            if (!missing.isEmpty()) {
                throw new OtfuseException(ExitCode.BAD_CHECKPOINT, dir + ": " + missing.size() + " tensor(s) missing for the config, e.g. '" + missing.get(0) + "'");
            }
            for (String c : stored.keySet()) {
                if (!expected.containsKey(c) && !optional.contains(c)) {
                    throw new OtfuseException(ExitCode.BAD_CHECKPOINT, dir + ": unexpected tensor '" + stored.get(c) + "' for a " + config.architecture()
                            + " with this config.json");
                }
            }
            return new Checkpoint(dir, config, w, stored);
        } catch (RuntimeException e) {
            w.close();
            throw e;
        }
    }

    public Path dir() {
        return dir;
    }

    public ModelConfig config() {
        return config;
    }

    public WeightStore weights() {
        return weights;
    }

    /** The stored name of a tensor given its current HF name (legacy gamma/beta resolved). */
    public String stored(String name) {
        String s = storedName.get(name);
        if (s == null) throw new OtfuseException(ExitCode.BAD_CHECKPOINT, dir + ": no tensor named '" + name + "'");
        return s;
    }

    public TensorInfo info(String name) {
        return weights.info(stored(name));
    }

    public float[] readFloats(String name) {
        return weights.readFloats(stored(name));
    }

    /** {@link #readFloats(String)} into {@code out} (exactly the tensor's number of values); returns it. */
    public float[] readFloats(String name, float[] out) {
        return weights.readFloats(stored(name), out);
    }

    /** The tensor's values as native-order float32 bytes into {@code dst} ({@link SafetensorsFile#readFloats(String, java.nio.ByteBuffer)}). */
    public void readFloats(String name, java.nio.ByteBuffer dst) {
        weights.readFloats(stored(name), dst);
    }

    public ai.djl.ndarray.NDArray toFloat32(ai.djl.ndarray.NDManager m, String name) {
        ai.djl.ndarray.NDArray a = weights.toFloat32(m, stored(name));
        a.setName(name);
        return a;
    }

    /** Companion files present in this folder. */
    public List<Path> companions() {
        List<Path> out = new ArrayList<>();
        for (String f : COMPANIONS) {
            Path p = dir.resolve(f);
            if (Files.isRegularFile(p)) out.add(p);
        }
        return out;
    }

    @Override
    public void close() {
        weights.close();
    }
}
