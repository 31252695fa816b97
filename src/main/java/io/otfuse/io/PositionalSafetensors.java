package io.otfuse.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A single safetensors file laid out before its tensors exist: the header ({@link SafetensorsWriter}'s order, offsets
 * and padding) is written when the file is created, and each tensor is written at its offset when it arrives, in any
 * order. The result is byte for byte what {@link SafetensorsWriter#write} writes for the same tensors. Until
 * {@link #finish()} succeeds the file is incomplete, and {@link #close()} deletes it.
 */
public final class PositionalSafetensors implements AutoCloseable {
    private final Path file;
    private final FileChannel ch;
    private final Map<String, TensorEntry> entries = new HashMap<>();
    private final Map<String, Long> offsets = new HashMap<>();
    private final java.util.Set<String> written = new java.util.HashSet<>();
    private boolean finished;

    private PositionalSafetensors(Path file, FileChannel ch) {
        this.file = file;
        this.ch = ch;
    }

    /** Creates {@code file} (which must not exist) for these tensors (their suppliers are not used) and writes the header. */
    public static PositionalSafetensors create(Path file, List<TensorEntry> tensors, Map<String, String> metadata) {
        List<TensorEntry> sorted = SafetensorsWriter.ordered(tensors);
        byte[] header = SafetensorsWriter.header(sorted, metadata);
        FileChannel ch;
        try {
            ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new OtfuseException(ExitCode.IO_FAILURE, file + ": cannot create the output file (" + e.getMessage() + ")", e);
        }
        PositionalSafetensors p = new PositionalSafetensors(file, ch);
        long pos = header.length;
        for (TensorEntry t : sorted) {
            p.entries.put(t.name(), t);
            p.offsets.put(t.name(), pos);
            pos += t.byteSize();
        }
        try {
            p.writeAt(ByteBuffer.wrap(header), 0);
        } catch (RuntimeException e) {
            p.close();
            throw e;
        }
        return p;
    }

    public Path file() {
        return file;
    }

    /** Writes one tensor's bytes (in the dtype it was declared with) at its place. */
    public void write(String name, ByteBuffer bytes) {
        writeAt(bytes, claim(name, bytes.remaining()));
    }

    /** Checks that {@code name} is laid out with {@code bytes} bytes and not written yet, marks it written; returns its offset. */
    private long claim(String name, long bytes) {
        TensorEntry t = entries.get(name);
        if (t == null) throw new IllegalArgumentException("tensor '" + name + "' is not in the layout");
        if (bytes != t.byteSize()) throw new IllegalStateException("tensor '" + name + "' supplied " + bytes + " bytes, expected " + t.byteSize());
        if (!written.add(name)) throw new IllegalStateException("tensor '" + name + "' written twice");
        return offsets.get(name);
    }

    /**
     * Writes one tensor given as floats, converted to the dtype it was declared with, at its place: in pieces of 4 MB
     * through one reused direct buffer, so neither the heap nor the channel's per-thread buffer cache ever holds a copy of
     * the whole tensor (a 94 MB embedding matrix would otherwise stay cached as native memory). One thread at a time.
     */
    public void writeFloats(String name, float[] x) {
        TensorEntry t = entries.get(name);
        if (t == null) throw new IllegalArgumentException("tensor '" + name + "' is not in the layout");
        DType dt = t.dtype();
        long pos = claim(name, (long) x.length * dt.size);
        if (piece == null) piece = ByteBuffer.allocateDirect(PIECE_BYTES).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        int per = PIECE_BYTES / dt.size;
        for (int from = 0; from < x.length; from += per) {
            int len = Math.min(per, x.length - from);
            piece.clear();
            Tensors.putFloats(x, from, len, dt, piece);
            piece.flip();
            writeAt(piece, pos);
            pos += (long) len * dt.size;
        }
    }

    private static final int PIECE_BYTES = 4 << 20;
    private ByteBuffer piece;

    /** A tensor already written, read back (its bytes as laid out). */
    public ByteBuffer read(String name) {
        if (!written.contains(name)) throw new IllegalStateException("tensor '" + name + "' was not written");
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(entries.get(name).byteSize())).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        long pos = offsets.get(name);
        try {
            while (b.hasRemaining()) {
                if (ch.read(b, pos + b.position()) < 0) throw new IOException("file ends early");
            }
        } catch (IOException e) {
            throw new OtfuseException(ExitCode.IO_FAILURE, file + ": reading back failed (" + e.getMessage() + ")", e);
        }
        return b.flip();
    }

    private void writeAt(ByteBuffer b, long pos) {
        ByteBuffer d = b.duplicate();
        try {
            while (d.hasRemaining()) pos += ch.write(d, pos);
        } catch (IOException e) {
            throw new OtfuseException(ExitCode.IO_FAILURE, file + ": write failed (" + e.getMessage() + "); nothing was left behind", e);
        }
    }

    /** Checks every tensor was written, forces the file to disk and closes it; the file is then complete and kept. */
    public void finish() {
        for (String name : entries.keySet()) if (!written.contains(name)) throw new IllegalStateException("tensor '" + name + "' was never written");
        try {
            ch.force(true);
            ch.close();
        } catch (IOException e) {
            throw new OtfuseException(ExitCode.IO_FAILURE, file + ": write failed (" + e.getMessage() + "); nothing was left behind", e);
        }
        finished = true;
    }

    /** Closes the file; an unfinished one is deleted. */
    @Override
    public void close() {
        try {
            ch.close();
        } catch (IOException ignored) {
            // deleting anyway
        }
        if (!finished) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // a later write into the folder removes stale scratch files
            }
        }
    }
}
