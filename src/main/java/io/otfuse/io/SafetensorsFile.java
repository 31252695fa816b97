package io.otfuse.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A validated, read-only safetensors file. The header is checked against every rule of the format
 * (sizes, UTF-8 JSON object, dtypes, shapes, contiguous hole-free offsets covering the data exactly,
 * no duplicate names) before any tensor is touched. Tensor data is memory-mapped per tensor on demand,
 * so reading a checkpoint never copies it into the Java heap.
 */
public final class SafetensorsFile implements AutoCloseable {
    /** Largest header the format allows. */
    public static final long MAX_HEADER_SIZE = 100_000_000L;

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final long fileSize;
    private final Map<String, String> metadata;
    private final Map<String, TensorInfo> tensors; // in data order

    private SafetensorsFile(Path path, FileChannel channel, long dataStart, long fileSize,
                            Map<String, String> metadata, Map<String, TensorInfo> tensors) {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.fileSize = fileSize;
        this.metadata = metadata;
        this.tensors = tensors;
    }

    /** Opens and validates a file; every problem is an {@link OtfuseException} naming the file. */
    public static SafetensorsFile open(Path path) {
        FileChannel ch;
        try {
            ch = FileChannel.open(path, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new OtfuseException(ExitCode.BAD_TENSOR_FILE, path + ": file not found");
        } catch (IOException e) {
            throw new OtfuseException(ExitCode.IO_FAILURE, path + ": cannot open: " + e.getMessage(), e);
        }
        try {
            SafetensorsFile f = parse(path, ch);
            ch = null;
            return f;
        } finally {
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // already failing
                }
            }
        }
    }

    private static OtfuseException bad(Path path, String what) {
        return new OtfuseException(ExitCode.BAD_TENSOR_FILE, path + ": " + what);
    }

    private static SafetensorsFile parse(Path path, FileChannel ch) {
        try {
            long size = ch.size();
            if (size < 8) throw bad(path, "file too short for a safetensors header (" + size + " bytes, need at least 8)");
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long n = lenBuf.getLong(0);
            if (n < 0 || n > MAX_HEADER_SIZE) {
                throw bad(path, "header length " + Long.toUnsignedString(n) + " exceeds the 100 MB limit");
            }
            if (8 + n > size) {
                throw bad(path, "header length " + n + " runs beyond the end of the file (" + size + " bytes)");
            }
            if (n < 2) throw bad(path, "header of " + n + " bytes is too short to be a JSON object");
            ByteBuffer hb = ByteBuffer.allocate((int) n);
            readFully(ch, hb, 8);
            String text;
            try {
                CharBuffer cb = StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(hb.array()));
                text = cb.toString();
            } catch (CharacterCodingException e) {
                throw bad(path, "header is not valid UTF-8");
            }
            if (text.isEmpty() || text.charAt(0) != '{') throw bad(path, "header does not start with '{'");
            JsonNode root;
            try {
                root = JSON.readTree(text);
            } catch (JsonProcessingException e) {
                String msg = e.getOriginalMessage();
                throw bad(path, "header is not valid JSON: " + (msg == null ? "parse error" : msg.replace('\n', ' ')));
            }
            if (root == null || !root.isObject()) throw bad(path, "header is not a JSON object");
            Map<String, String> metadata = Collections.emptyMap();
            List<TensorInfo> list = new ArrayList<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String name = e.getKey();
                JsonNode v = e.getValue();
                if (name.equals("__metadata__")) {
                    metadata = parseMetadata(path, v);
                    continue;
                }
                list.add(parseTensor(path, name, v));
            }
            long dataSize = size - 8 - n;
            list.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
            long expected = 0;
            Map<String, TensorInfo> byName = new LinkedHashMap<>();
            for (TensorInfo t : list) {
                if (t.begin() != expected) {
                    throw bad(path, "tensor '" + t.name() + "': data_offsets [" + t.begin() + ", " + t.end() + "] "
                            + (t.begin() > expected ? "leave a gap after byte " + expected : "overlap the previous tensor (ending at " + expected + ")")
                            + "; offsets must be contiguous and hole-free");
                }
                expected = t.end();
                byName.put(t.name(), t);
            }
            if (expected != dataSize) {
                throw bad(path, "tensor data covers " + expected + " bytes but the file holds " + dataSize
                        + " bytes after the header" + (expected > dataSize ? " (offsets out of bounds: file truncated?)" : " (trailing bytes)"));
            }
            return new SafetensorsFile(path, ch, 8 + n, size, Collections.unmodifiableMap(metadata), Collections.unmodifiableMap(byName));
        } catch (IOException e) {
            throw new OtfuseException(ExitCode.IO_FAILURE, path + ": read failed: " + e.getMessage(), e);
        }
    }

    private static Map<String, String> parseMetadata(Path path, JsonNode v) {
        if (!v.isObject()) throw bad(path, "__metadata__ must be an object of strings");
        Map<String, String> m = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) throw bad(path, "__metadata__ value of '" + e.getKey() + "' is not a string");
            m.put(e.getKey(), e.getValue().asText());
        }
        return m;
    }

    private static TensorInfo parseTensor(Path path, String name, JsonNode v) {
        String where = "tensor '" + name + "'";
        if (!v.isObject()) throw bad(path, where + ": entry is not an object");
        JsonNode dt = v.get("dtype");
        JsonNode sh = v.get("shape");
        JsonNode off = v.get("data_offsets");
        if (dt == null || !dt.isTextual()) throw bad(path, where + ": missing or non-string dtype");
        if (sh == null || !sh.isArray()) throw bad(path, where + ": missing or non-array shape");
        if (off == null || !off.isArray() || off.size() != 2) throw bad(path, where + ": data_offsets must be an array of two integers");
        DType dtype = DType.parse(dt.asText(), path + ": " + where);
        long[] shape = new long[sh.size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = sh.get(i);
            if (!d.isIntegralNumber() || !d.canConvertToLong()) throw bad(path, where + ": shape entry " + d + " is not an integer");
            shape[i] = d.asLong();
            if (shape[i] < 0) throw bad(path, where + ": negative dimension " + shape[i] + " in shape");
        }
        long[] o = new long[2];
        for (int i = 0; i < 2; i++) {
            JsonNode d = off.get(i);
            if (!d.isIntegralNumber() || !d.canConvertToLong()) throw bad(path, where + ": data_offsets entry " + d + " is not an integer");
            o[i] = d.asLong();
            if (o[i] < 0) throw bad(path, where + ": negative data offset " + o[i]);
        }
        if (o[1] < o[0]) throw bad(path, where + ": data_offsets end " + o[1] + " is before begin " + o[0]);
        long bytes;
        try {
            bytes = Math.multiplyExact(TensorInfo.numel(shape), dtype.size);
        } catch (ArithmeticException e) {
            throw bad(path, where + ": shape " + java.util.Arrays.toString(shape) + " overflows");
        }
        if (o[1] - o[0] != bytes) {
            throw bad(path, where + ": byte size " + (o[1] - o[0]) + " does not match shape " + java.util.Arrays.toString(shape)
                    + " × " + dtype + " (" + bytes + " bytes)");
        }
        return new TensorInfo(name, dtype, shape, o[0], o[1]);
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        while (buf.hasRemaining()) {
            int r = ch.read(buf, pos + buf.position());
            if (r < 0) throw new IOException("unexpected end of file");
        }
    }

    public Path path() {
        return path;
    }

    public long fileSize() {
        return fileSize;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    /** Tensors in data order. */
    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    public TensorInfo info(String name) {
        TensorInfo t = tensors.get(name);
        if (t == null) throw new OtfuseException(ExitCode.BAD_CHECKPOINT, path + ": no tensor named '" + name + "'");
        return t;
    }

    /** The raw little-endian bytes of a tensor, memory-mapped read-only (not copied). */
    public ByteBuffer map(String name) {
        TensorInfo t = info(name);
        if (t.byteSize() > Integer.MAX_VALUE) {
            throw new OtfuseException(ExitCode.BAD_TENSOR_FILE, path + ": tensor '" + name + "' is larger than 2 GiB, which cannot be mapped in one piece");
        }
        try {
            if (t.byteSize() == 0) return ByteBuffer.allocateDirect(0).order(ByteOrder.LITTLE_ENDIAN);
            return channel.map(FileChannel.MapMode.READ_ONLY, dataStart + t.begin(), t.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new OtfuseException(ExitCode.IO_FAILURE, path + ": cannot map tensor '" + name + "': " + e.getMessage(), e);
        }
    }

    /**
     * The tensor's values widened to float (F16/BF16 exactly; F64 rounded; integers converted). F32 tensors are read
     * with positional reads in 4 MiB pieces rather than mapped, so a model read tensor by tensor does not stay resident
     * in the process (mapped pages count in its RSS until the mapping is collected).
     */
    public float[] readFloats(String name) {
        TensorInfo t = info(name);
        if (t.dtype() != DType.F32 || t.byteSize() == 0 || t.numel() > Integer.MAX_VALUE - 8) return Tensors.toFloats(t, map(name));
        return readFloats(name, new float[(int) t.numel()]);
    }

    /** One direct read buffer per thread: reads go from the file into it and from it into the array, with no other copy. */
    private static final ThreadLocal<ByteBuffer> READ_BUFFER = ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(1 << 22).order(ByteOrder.LITTLE_ENDIAN));

    /** {@link #readFloats(String)} into {@code out}, which must have exactly the tensor's number of values; returns it. */
    public float[] readFloats(String name, float[] out) {
        TensorInfo t = info(name);
        if (out.length != t.numel()) throw new IllegalArgumentException("tensor '" + name + "' has " + t.numel() + " values, the array " + out.length);
        if (t.dtype() != DType.F32 || t.byteSize() == 0) {
            float[] x = readFloats(name);
            System.arraycopy(x, 0, out, 0, x.length);
            return out;
        }
        ByteBuffer buf = READ_BUFFER.get();
        long pos = dataStart + t.begin();
        int done = 0;
        while (done < out.length) {
            int want = Math.min(buf.capacity() / 4, out.length - done);
            buf.clear().limit(want * 4);
            read(name, buf, pos);
            buf.flip();
            buf.asFloatBuffer().get(out, done, want);
            done += want;
            pos += 4L * want;
        }
        return out;
    }

    /**
     * The tensor's values widened to float, written into {@code dst} as native-order float32 bytes from its position
     * (for example the memory of an engine array, so the values never pass through the heap). F32 tensors are read
     * straight into it with positional reads; other dtypes go through {@link #readFloats(String)}.
     */
    public void readFloats(String name, ByteBuffer dst) {
        TensorInfo t = info(name);
        if (dst.remaining() != t.numel() * 4) {
            throw new IllegalArgumentException("tensor '" + name + "' has " + t.numel() + " values, the buffer room for " + dst.remaining() / 4);
        }
        if (t.dtype() == DType.F32 && ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
            read(name, dst.duplicate(), dataStart + t.begin());
        } else {
            dst.duplicate().order(ByteOrder.nativeOrder()).asFloatBuffer().put(readFloats(name));
        }
    }

    /** Fills {@code buf} from its position to its limit with the file's bytes at {@code pos}. */
    private void read(String name, ByteBuffer buf, long pos) {
        long at = pos - buf.position();
        try {
            while (buf.hasRemaining()) {
                if (channel.read(buf, at + buf.position()) < 0) {
                    throw new OtfuseException(ExitCode.BAD_TENSOR_FILE, path + ": tensor '" + name + "' ends early (file truncated?)");
                }
            }
        } catch (IOException e) {
            throw new OtfuseException(ExitCode.IO_FAILURE, path + ": cannot read tensor '" + name + "': " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // read-only
        }
    }
}
