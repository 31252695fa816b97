package io.otfuse.fusion;

import io.otfuse.io.DType;
import io.otfuse.io.ExitCode;
import io.otfuse.io.OtfuseException;
import io.otfuse.io.PositionalSafetensors;
import io.otfuse.io.TensorEntry;
import io.otfuse.io.Tensors;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The fused model's {@code model.safetensors} itself, laid out before fusion starts: each finished tensor is written
 * at its final place in the output dtype, so nothing is written twice and the checkpoint writer only moves the file
 * into the new folder. Used instead of {@link FusedSpill} when the fused tensors do not fit in the heap and the output
 * is one file (no {@code --max-shard-size}). The file sits beside the destination under a scratch name and is
 * deleted on {@link #close()} unless it was moved.
 */
public final class FusedFile implements FusedSink {
    private final PositionalSafetensors out;
    private final DType dtype;
    /**
     * Tensors are converted and written on a thread of their own while fusion goes on; at most {@link #IN_FLIGHT_BYTES}
     * of them wait (a larger tensor waits alone), so the heap holds little more than before.
     */
    private final java.util.concurrent.ExecutorService writer = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "otfuse-fused-writer");
        t.setDaemon(true);
        return t;
    });
    private static final int IN_FLIGHT_BYTES = 64 << 20;
    private final java.util.concurrent.Semaphore inFlight = new java.util.concurrent.Semaphore(IN_FLIGHT_BYTES);
    private final java.util.concurrent.atomic.AtomicReference<RuntimeException> failure = new java.util.concurrent.atomic.AtomicReference<>();

    private FusedFile(PositionalSafetensors out, DType dtype) {
        this.out = out;
        this.dtype = dtype;
    }

    /** Lays out {@code file} for the named tensors with these shapes, all stored as {@code dtype}. */
    public static FusedFile create(Path file, Map<String, long[]> shapes, DType dtype) {
        List<TensorEntry> metas = shapes.entrySet().stream()
                .map(e -> new TensorEntry(e.getKey(), dtype, e.getValue(), () -> {
                    throw new IllegalStateException("written by position");
                })).toList();
        return new FusedFile(PositionalSafetensors.create(file, metas, Map.of()), dtype);
    }

    @Override
    public void put(String name, float[] x) {
        rethrow();
        int permits = (int) Math.min(IN_FLIGHT_BYTES, 4L * x.length);
        inFlight.acquireUninterruptibly(permits);
        writer.execute(() -> {
            try {
                if (failure.get() == null) out.writeFloats(name, x);
            } catch (RuntimeException e) {
                failure.compareAndSet(null, e);
            } finally {
                inFlight.release(permits);
            }
        });
    }

    /** Waits until every tensor put so far is written; rethrows the first write failure. */
    private void drain() {
        inFlight.acquireUninterruptibly(IN_FLIGHT_BYTES);
        inFlight.release(IN_FLIGHT_BYTES);
        rethrow();
    }

    private void rethrow() {
        RuntimeException e = failure.get();
        if (e != null) throw e;
    }

    @Override
    public ByteBuffer bytes(String name, DType as) {
        drain();
        ByteBuffer raw = out.read(name);
        if (as == dtype) return raw;
        long n = raw.remaining() / dtype.size;
        return Tensors.fromFloats(Tensors.toFloats(new io.otfuse.io.TensorInfo(name, dtype, new long[] {n}, 0, raw.remaining()), raw), as);
    }

    /** Completes the file (every tensor written, forced to disk); returns it for the checkpoint writer. */
    public Path finish() {
        drain();
        out.finish();
        return out.file();
    }

    @Override
    public void close() {
        writer.shutdownNow(); // after a failure elsewhere: queued tensors are not written
        try {
            writer.awaitTermination(1, java.util.concurrent.TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        out.close();
        try {
            Files.deleteIfExists(out.file()); // still here: the checkpoint was not written
        } catch (IOException e) {
            throw new OtfuseException(ExitCode.IO_FAILURE, out.file() + ": cannot delete the unfinished output file (" + e.getMessage() + ")", e);
        }
    }
}
