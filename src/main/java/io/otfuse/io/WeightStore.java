package io.otfuse.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The weights of a checkpoint folder: {@code model.safetensors}, or the shards listed in
 * {@code model.safetensors.index.json}. Tensors are mapped on demand, one at a time.
 */
public final class WeightStore implements AutoCloseable {
    public static final String SINGLE = "model.safetensors";
    public static final String INDEX = "model.safetensors.index.json";

    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private final Path dir;
    private final List<SafetensorsFile> files;
    private final Map<String, SafetensorsFile> owner; // sorted by name

    private WeightStore(Path dir, List<SafetensorsFile> files, Map<String, SafetensorsFile> owner) {
        this.dir = dir;
        this.files = files;
        this.owner = owner;
    }

    /** Opens the weights of a folder, or a single .safetensors file. */
    public static WeightStore open(Path path) {
        if (Files.isRegularFile(path)) {
            SafetensorsFile f = SafetensorsFile.open(path);
            return of(path.toAbsolutePath().getParent(), List.of(f));
        }
        if (!Files.isDirectory(path)) throw new OtfuseException(ExitCode.BAD_CHECKPOINT, path + ": no such checkpoint folder");
        Path index = path.resolve(INDEX);
        Path single = path.resolve(SINGLE);
        if (Files.exists(index)) return openSharded(path, index);
        if (Files.exists(single)) return of(path, List.of(SafetensorsFile.open(single)));
        throw new OtfuseException(ExitCode.BAD_CHECKPOINT, path + ": neither " + SINGLE + " nor " + INDEX + " found"
                + (Files.exists(path.resolve("pytorch_model.bin")) ? " (pytorch_model.bin is not supported: convert it to safetensors)" : ""));
    }

    private static WeightStore of(Path dir, List<SafetensorsFile> files) {
        Map<String, SafetensorsFile> owner = new TreeMap<>();
        for (SafetensorsFile f : files) {
            for (String n : f.tensors().keySet()) {
                SafetensorsFile prev = owner.put(n, f);
                if (prev != null) {
                    closeAll(files);
                    throw new OtfuseException(ExitCode.BAD_TENSOR_FILE, "tensor '" + n + "' appears in both " + prev.path() + " and " + f.path());
                }
            }
        }
        return new WeightStore(dir, files, owner);
    }

    private static WeightStore openSharded(Path dir, Path index) {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(index));
        } catch (IOException e) {
            throw new OtfuseException(ExitCode.BAD_TENSOR_FILE, index + ": not valid JSON: " + e.getMessage().split("\n")[0]);
        }
        if (root == null || !root.isObject() || !root.path("weight_map").isObject()) {
            throw new OtfuseException(ExitCode.BAD_TENSOR_FILE, index + ": expected an object with a 'weight_map' object");
        }
        Map<String, String> map = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.get("weight_map").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) throw new OtfuseException(ExitCode.BAD_TENSOR_FILE, index + ": weight_map entry '" + e.getKey() + "' is not a file name");
            String shard = e.getValue().asText();
            if (shard.contains("/") || shard.contains("\\") || shard.equals("..")) {
                throw new OtfuseException(ExitCode.BAD_TENSOR_FILE, index + ": shard name '" + shard + "' must be a plain file name in the folder");
            }
            map.put(e.getKey(), shard);
        }
        Map<String, SafetensorsFile> byShard = new LinkedHashMap<>();
        List<SafetensorsFile> files = new ArrayList<>();
        try {
            for (String shard : new java.util.TreeSet<>(map.values())) {
                SafetensorsFile f = SafetensorsFile.open(dir.resolve(shard));
                byShard.put(shard, f);
                files.add(f);
            }
            for (Map.Entry<String, String> e : map.entrySet()) {
                if (!byShard.get(e.getValue()).tensors().containsKey(e.getKey())) {
                    throw new OtfuseException(ExitCode.BAD_TENSOR_FILE, index + ": tensor '" + e.getKey() + "' is listed in " + e.getValue() + " but not stored there");
                }
            }
            for (SafetensorsFile f : files) {
                for (String n : f.tensors().keySet()) {
                    if (!f.path().getFileName().toString().equals(map.get(n))) {
                        throw new OtfuseException(ExitCode.BAD_TENSOR_FILE, f.path() + ": tensor '" + n + "' is not listed for this shard in " + INDEX);
                    }
                }
            }
        } catch (RuntimeException e) {
            closeAll(files);
            throw e;
        }
        return of(dir, files);
    }

    private static void closeAll(List<SafetensorsFile> files) {
        for (SafetensorsFile f : files) f.close();
    }

    public Path dir() {
        return dir;
    }

    public List<SafetensorsFile> files() {
        return Collections.unmodifiableList(files);
    }

    /** Tensor names, sorted. */
    public List<String> names() {
        return new ArrayList<>(owner.keySet());
    }

    public boolean contains(String name) {
        return owner.containsKey(name);
    }

    public TensorInfo info(String name) {
        return file(name).info(name);
    }

    public ByteBuffer map(String name) {
        return file(name).map(name);
    }

    public float[] readFloats(String name) {
        return file(name).readFloats(name);
    }

    /** {@link #readFloats(String)} into {@code out} (exactly the tensor's number of values); returns it. */
    public float[] readFloats(String name, float[] out) {
        return file(name).readFloats(name, out);
    }

    /** The tensor's values as native-order float32 bytes into {@code dst} ({@link SafetensorsFile#readFloats(String, ByteBuffer)}). */
    public void readFloats(String name, ByteBuffer dst) {
        file(name).readFloats(name, dst);
    }

    /** An NDArray of the stored dtype (BF16 widened to F32), zero-copy where the engine allows. */
    public NDArray toNDArray(NDManager manager, String name) {
        SafetensorsFile f = file(name);
        NDArray a = Tensors.toNDArray(manager, f.info(name), f.map(name));
        a.setName(name);
        return a;
    }

    /** An F32 NDArray for compute. */
    public NDArray toFloat32(NDManager manager, String name) {
        SafetensorsFile f = file(name);
        NDArray a = Tensors.toFloat32NDArray(manager, f.info(name), f.map(name));
        a.setName(name);
        return a;
    }

    /** Stored dtypes with their tensor counts. */
    public Map<DType, Integer> dtypes() {
        Map<DType, Integer> m = new TreeMap<>(Comparator.comparing(Enum::name));
        for (String n : owner.keySet()) m.merge(info(n).dtype(), 1, Integer::sum);
        return m;
    }

    /** The most common floating dtype: the default dtype for writing a model derived from this one. */
    public DType mainFloatType() {
        Map<DType, Long> bytes = new TreeMap<>();
        for (String n : owner.keySet()) {
            TensorInfo t = info(n);
            if (t.dtype().isFloating()) bytes.merge(t.dtype(), t.byteSize(), Long::sum);
        }
        return bytes.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(DType.F32);
    }

    public long totalBytes() {
        long s = 0;
        for (String n : owner.keySet()) s += info(n).byteSize();
        return s;
    }

    public long parameterCount() {
        long s = 0;
        for (String n : owner.keySet()) s += info(n).numel();
        return s;
    }

    private SafetensorsFile file(String name) {
        SafetensorsFile f = owner.get(name);
        if (f == null) throw new OtfuseException(ExitCode.BAD_CHECKPOINT, dir + ": no tensor named '" + name + "'");
        return f;
    }

    /**
     * Writes tensors into {@code dir} as one {@code model.safetensors}, or as shards of at most
     * {@code maxShardBytes} of tensor data plus the index, when they do not fit in one.
     */
    public static void write(Path dir, List<TensorEntry> tensors, long maxShardBytes) {
        List<TensorEntry> sorted = SafetensorsWriter.ordered(tensors);
        List<List<TensorEntry>> shards = new ArrayList<>();
        List<TensorEntry> cur = new ArrayList<>();
        long curBytes = 0;
        long total = 0;
        for (TensorEntry t : sorted) {
            long b = t.byteSize();
            total += b;
            if (!cur.isEmpty() && maxShardBytes > 0 && curBytes + b > maxShardBytes) {
                shards.add(cur);
                cur = new ArrayList<>();
                curBytes = 0;
            }
            cur.add(t);
            curBytes += b;
        }
        shards.add(cur);
        if (shards.size() == 1) {
            SafetensorsWriter.write(dir.resolve(SINGLE), shards.get(0), Map.of());
            return;
        }
        ObjectNode index = JSON.createObjectNode();
        index.putObject("metadata").put("total_size", total);
        ObjectNode wm = index.putObject("weight_map");
        Map<String, String> weightMap = new TreeMap<>();
        int k = shards.size();
        for (int i = 0; i < k; i++) {
            String name = String.format("model-%05d-of-%05d.safetensors", i + 1, k);
            SafetensorsWriter.write(dir.resolve(name), shards.get(i), Map.of());
            for (TensorEntry t : shards.get(i)) weightMap.put(t.name(), name);
        }
        weightMap.forEach(wm::put);
        AtomicFiles.writeString(dir.resolve(INDEX), prettyJson(index));
    }

    static String prettyJson(JsonNode node) {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node) + "\n";
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        closeAll(files);
    }
}
