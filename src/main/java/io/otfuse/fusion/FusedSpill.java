package io.otfuse.fusion;

import io.otfuse.io.DType;
import io.otfuse.io.ExitCode;
import io.otfuse.io.OtfuseException;
import io.otfuse.io.Tensors;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;

/**
 * A raw scratch file for fused tensors that do not fit in the heap: each finished tensor is appended as
 * little-endian F32 and memory-mapped back (read-only) when the writer reaches it. Activations use it too: room is
 * reserved for each one and filled batch by batch as the models run, then read back one space at a time. The file is deleted on
 * {@link #close()}; a killed run leaves a hidden {@code .NAME.scratch-PID-*} file that the next write into
 * the same folder removes (see {@code CheckpointWriter.cleanStale}).
 */
public final class FusedSpill implements FusedSink {
    private static final int CHUNK = 1 << 20; // floats per write

    private final Path file;
    private final FileChannel ch;
    private final Map<String, long[]> where = new HashMap<>(); // name -> {offset, count}
    private long pos = 0;
    private ByteBuffer readBuf; // for read(String, float[])

    public FusedSpill(Path file) {
        this.file = file;
        try {
            ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new OtfuseException(ExitCode.IO_FAILURE, file + ": cannot create the scratch file for fused tensors (" + e.getMessage() + ")", e);
        }
    }

    /** The scratch file for an output folder: hidden, beside it, named after this process. */
    public static Path scratchFor(Path dest) {
        Path d = dest.toAbsolutePath().normalize();
        return d.getParent().resolve("." + d.getFileName() + ".scratch-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
    }

    @Override
    public void put(String name, float[] x) {
        ByteBuffer b = ByteBuffer.allocate(Math.min(x.length, CHUNK) * 4).order(ByteOrder.LITTLE_ENDIAN);
        long start = pos;
        try {
            for (int i = 0; i < x.length; i += CHUNK) {
                int n = Math.min(CHUNK, x.length - i);
                b.clear();
                b.asFloatBuffer().put(x, i, n);
                b.limit(n * 4);
                while (b.hasRemaining()) pos += ch.write(b, pos);
            }
        } catch (IOException e) {
            throw new OtfuseException(ExitCode.IO_FAILURE, file + ": writing the scratch file failed (" + e.getMessage() + "); nothing was left behind", e);
        }
        where.put(name, new long[] {start, x.length});
    }

    /** Makes room for {@code count} floats under {@code name}, to be filled piece by piece with {@link #write}. */
    public void reserve(String name, long count) {
        if (where.containsKey(name)) throw new IllegalStateException("tensor " + name + " is already in the scratch file");
        where.put(name, new long[] {pos, count});
        pos += 4 * count;
    }

    /**
     * Writes the floats of {@code values} (from its position to its limit, in its byte order) into the room reserved for
     * {@code name}, starting at its float {@code at}. Little-endian direct buffers go to the file without a copy.
     */
    public void write(String name, long at, ByteBuffer values) {
        long[] w = where.get(name);
        if (w == null) throw new IllegalStateException("no room was reserved for " + name);
        int n = values.remaining() / 4;
        if (at < 0 || at + n > w[1]) throw new IllegalArgumentException("floats " + at + ".." + (at + n) + " are outside the " + w[1] + " of " + name);
        ByteBuffer le = values;
        if (values.order() != ByteOrder.LITTLE_ENDIAN) {
            le = ByteBuffer.allocate(n * 4).order(ByteOrder.LITTLE_ENDIAN);
            le.asFloatBuffer().put(values.asFloatBuffer());
        }
        long p = w[0] + 4 * at;
        try {
            for (ByteBuffer b = le.duplicate(); b.hasRemaining(); ) p += ch.write(b, p);
        } catch (IOException e) {
            throw new OtfuseException(ExitCode.IO_FAILURE, file + ": writing the scratch file failed (" + e.getMessage() + "); nothing was left behind", e);
        }
    }

    public boolean has(String name) {
        return where.containsKey(name);
    }

    /** The tensor's F32 bytes, memory-mapped (not copied). */
    public ByteBuffer mapF32(String name) {
        long[] w = where.get(name);
        if (w == null) throw new IllegalStateException("tensor " + name + " was not spilled");
        try {
            if (w[1] == 0) return ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN);
            return ch.map(FileChannel.MapMode.READ_ONLY, w[0], w[1] * 4).order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new OtfuseException(ExitCode.IO_FAILURE, file + ": cannot map the scratch file (" + e.getMessage() + ")", e);
        }
    }

    /**
     * The tensor's bytes in {@code dtype}, read back into the heap (one tensor at a time: a mapping would keep the
     * scratch file's pages resident in the process until it is collected).
     */
    @Override
    public ByteBuffer bytes(String name, DType dtype) {
        long[] w = where.get(name);
        if (w == null) throw new IllegalStateException("tensor " + name + " was not spilled");
        ByteBuffer raw = ByteBuffer.allocate(Math.toIntExact(w[1] * 4)).order(ByteOrder.LITTLE_ENDIAN);
        try {
            while (raw.hasRemaining()) {
                if (ch.read(raw, w[0] + raw.position()) < 0) throw new IOException("scratch file ends early");
            }
        } catch (IOException e) {
            throw new OtfuseException(ExitCode.IO_FAILURE, file + ": cannot read the scratch file (" + e.getMessage() + ")", e);
        }
        raw.flip();
        if (dtype == DType.F32) return raw;
        float[] v = new float[raw.remaining() / 4];
        raw.asFloatBuffer().get(v);
        return Tensors.fromFloats(v, dtype);
    }

    /**
     * A spilled array read back into the start of {@code into} (which must have room for it), through one direct buffer
     * of {@link #CHUNK} floats kept for every read.
     */
    public void read(String name, float[] into) {
        long[] w = where.get(name);
        if (w == null) throw new IllegalStateException("tensor " + name + " was not spilled");
        if (into.length < w[1]) throw new IllegalArgumentException(name + " has " + w[1] + " floats, the array room for " + into.length);
        if (readBuf == null) readBuf = ByteBuffer.allocateDirect(CHUNK * 4).order(ByteOrder.LITTLE_ENDIAN);
        try {
            for (int i = 0; i < w[1]; ) {
                int n = (int) Math.min(CHUNK, w[1] - i);
                readBuf.clear().limit(n * 4);
                while (readBuf.hasRemaining()) {
                    if (ch.read(readBuf, w[0] + 4L * i + readBuf.position()) < 0) throw new IOException("scratch file ends early");
                }
                readBuf.flip();
                readBuf.asFloatBuffer().get(into, i, n);
                i += n;
            }
        } catch (IOException e) {
            throw new OtfuseException(ExitCode.IO_FAILURE, file + ": cannot read the scratch file (" + e.getMessage() + ")", e);
        }
    }

    public long bytes() {
        return pos;
    }

    @Override
    public void close() {
        try {
            ch.close();
        } catch (IOException ignored) {
            // deleting anyway
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // best effort; a later write into the folder removes stale scratch files
        }
    }
}
