package io.otfuse.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes safetensors files the way the reference writer does: tensors sorted by dtype size (largest
 * first) then name, contiguous offsets, {@code __metadata__ {"format":"pt"}}, header space-padded so
 * the data starts on an 8-byte boundary. The file appears under its final name only when complete.
 */
public final class SafetensorsWriter {
    private static final ObjectMapper JSON = new ObjectMapper();

    private SafetensorsWriter() {}

    /** Data order used by the writer. */
    public static List<TensorEntry> ordered(List<TensorEntry> tensors) {
        List<TensorEntry> sorted = new ArrayList<>(tensors);
        sorted.sort(Comparator.comparingInt((TensorEntry t) -> -t.dtype().size).thenComparing(TensorEntry::name));
        Set<String> seen = new HashSet<>();
        for (TensorEntry t : sorted) {
            if (t.name().equals("__metadata__")) throw new IllegalArgumentException("'__metadata__' is not a valid tensor name");
            if (!seen.add(t.name())) throw new IllegalArgumentException("duplicate tensor name '" + t.name() + "'");
        }
        return sorted;
    }

    /** The header bytes (including the 8-byte length) for the given tensors in writer order. */
    static byte[] header(List<TensorEntry> sorted, Map<String, String> metadata) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode meta = root.putObject("__metadata__");
        Map<String, String> m = new LinkedHashMap<>();
        m.put("format", "pt");
        if (metadata != null) m.putAll(metadata);
        m.forEach(meta::put);
        long offset = 0;
        for (TensorEntry t : sorted) {
            ObjectNode o = root.putObject(t.name());
            o.put("dtype", t.dtype().name());
            ArrayNode s = o.putArray("shape");
            for (long d : t.shape()) s.add(d);
            ArrayNode off = o.putArray("data_offsets");
            long end = offset + t.byteSize();
            off.add(offset);
            off.add(end);
            offset = end;
        }
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        int n = json.length;
        int padded = (n + 8 + 7) / 8 * 8 - 8;
        ByteBuffer out = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(padded);
        out.put(json);
        while (out.hasRemaining()) out.put((byte) ' ');
        return out.array();
    }

    /** Writes one file atomically: a temporary name in the destination folder, renamed at the end. */
    public static void write(Path file, List<TensorEntry> tensors, Map<String, String> metadata) {
        List<TensorEntry> sorted = ordered(tensors);
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = dir.resolve("." + file.getFileName() + ".tmp-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                writeFully(ch, ByteBuffer.wrap(header(sorted, metadata)));
                for (TensorEntry t : sorted) {
                    ByteBuffer b = t.bytes().get();
                    if (b.remaining() != t.byteSize()) {
                        throw new IllegalStateException("tensor '" + t.name() + "' supplied " + b.remaining() + " bytes, expected " + t.byteSize());
                    }
                    writeFully(ch, b);
                }
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw new OtfuseException(ExitCode.IO_FAILURE, file + ": write failed (" + e.getMessage() + "); nothing was left behind", e);
        } catch (RuntimeException e) {
            deleteQuietly(tmp);
            throw e;
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        b = b.duplicate();
        while (b.hasRemaining()) ch.write(b);
    }

    static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // best effort
        }
    }
}
