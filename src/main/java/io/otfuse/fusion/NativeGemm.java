package io.otfuse.fusion;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Large float GEMMs through the PyTorch engine's BLAS (MKL on x86) via DJL, used by {@link Dense#gemm} above a
 * size threshold. Small products (and every test-sized model) stay on the Java kernel. If the engine cannot be
 * loaded, or {@code -Dotfuse.gemm=java} is set, everything stays in Java.
 *
 * <p>Determinism: for a fixed PyTorch thread count ({@code ai.djl.pytorch.num_threads}, default: the number of
 * available processors) the result is bit-identical from run to run. Different thread counts, or a different CPU
 * family (other MKL code path), may change the last bits of the fused weights.
 */
public final class NativeGemm {
    private NativeGemm() {}

    /** Products below this many multiply-adds stay in Java (the copy in and out would dominate). */
    static final long THRESHOLD = 32L << 20;

    private static volatile Boolean available;
    private static Engine engine;

    static boolean usable(long macs) {
        if (macs < THRESHOLD) return false;
        Boolean a = available;
        if (a == null) a = init();
        return a;
    }

    /**
     * Starts loading the engine on a background thread when products of {@code macs} multiply-adds will run on it, so the
     * load (about half a second) overlaps the first reads and costs instead of delaying the first large product.
     */
    public static void preload(long macs) {
        if (macs < THRESHOLD || available != null || "java".equals(System.getProperty("otfuse.gemm"))) return;
        Thread t = new Thread(NativeGemm::init, "otfuse-engine-load");
        t.setDaemon(true);
        t.start();
    }

    private static synchronized boolean init() {
        if (available != null) return available;
        if ("java".equals(System.getProperty("otfuse.gemm"))) return available = false;
        try {
            if (System.getProperty("ai.djl.offline") == null) System.setProperty("ai.djl.offline", "true");
            if (System.getProperty("ai.djl.pytorch.num_interop_threads") == null) System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
            engine = Engine.getEngine("PyTorch");
            try (NDManager m = engine.newBaseManager()) {
                float[] r = m.create(new float[] {1, 2}, new Shape(1, 2)).matMul(m.create(new float[] {3, 4}, new Shape(2, 1))).toFloatArray();
                available = r.length == 1 && r[0] == 11f;
            }
        } catch (Throwable t) {
            available = false;
        }
        return available;
    }

    /** {@code C[M x N] += A[M x K] * B[K x N]}, row-major. */
    static void gemm(float[] a, float[] b, float[] c, int mRows, int k, int n) {
        float[] r = product(a, false, b, false, mRows, k, n);
        for (int i = 0; i < r.length; i++) c[i] += r[i];
    }

    /**
     * {@code op(A) * op(B)} as a new array; transposed operands are read in place by the BLAS (see {@link Dense#product}).
     * Each thread copies the operands into two direct buffers of its own, kept between its calls (the engine reads them
     * without a further copy); only the multiplications are serialised, as one product already uses every core.
     */
    static float[] product(float[] a, boolean ta, float[] b, boolean tb, int rows, int k, int cols) {
        return product(a, ta, b, tb, rows, k, cols, null);
    }

    /**
     * {@link #product}, written into {@code out} when it has exactly {@code rows * cols} entries. A large untransposed
     * {@code A} (an embedding matrix) is multiplied in blocks of rows of at most {@link #CHUNK_BYTES}, so the engine's
     * copy of it and of the result never hold more than a block. Only the multiplication itself is serialised (one
     * product already uses every core): the copies in and out of this thread's buffers overlap another thread's product.
     */
    static float[] product(float[] a, boolean ta, float[] b, boolean tb, int rows, int k, int cols, float[] out) {
        long t0 = TRACE ? System.nanoTime() : Profile.start();
        if (out == null || out.length != rows * cols) out = io.otfuse.ot.ArrayPool.floats(rows * cols); // every entry is written
        ByteBuffer[] buf = BUFFERS.get();
        try {
            buf[1] = fill(buf[1], b, 0, b.length);
            long chunks = ta ? 1 : Math.max(1, (4L * rows * Math.max(k, cols) + CHUNK_BYTES - 1) / CHUNK_BYTES);
            int step = (int) ((rows + chunks - 1) / chunks);
            for (int r0 = 0; r0 < rows; r0 += step) {
                int r = Math.min(step, rows - r0);
                long tc = System.nanoTime();
                try (NDManager m = engine.newBaseManager()) {
                    buf[0] = ta ? fill(buf[0], a, 0, a.length) : fill(buf[0], a, r0 * k, r * k);
                    NDArray x = m.create(view(buf[0], ta ? a.length : r * k), ta ? new Shape(k, rows) : new Shape(r, k), DataType.FLOAT32);
                    NDArray y = m.create(view(buf[1], b.length), tb ? new Shape(cols, k) : new Shape(k, cols), DataType.FLOAT32);
                    if (ta) x = x.transpose();
                    if (tb) y = y.transpose();
                    long t1 = System.nanoTime();
                    NDArray z = multiply(x, y);
                    long t2 = System.nanoTime();
                    z.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer().get(out, r0 * cols, r * cols); // a view of the result: one copy
                    if (TRACE) System.err.printf("gemm %d x %d x %d ta=%b tb=%b in %.1f mm %.1f out %.1f ms%n", r, k, cols, ta, tb, (t1 - tc) / 1e6, (t2 - t1) / 1e6, (System.nanoTime() - t2) / 1e6);
                }
            }
            return out;
        } finally {
            buf[0] = keepSmall(buf[0]); // after the engine's arrays are closed
            buf[1] = keepSmall(buf[1]);
            Profile.add("gemm.native", t0);
        }
    }

    /** The engine's product, one at a time across threads. */
    private static NDArray multiply(NDArray x, NDArray y) {
        synchronized (MULTIPLY) {
            return x.matMul(y);
        }
    }

    private static final Object MULTIPLY = new Object();

    /**
     * {@code batch} products at once: {@code C[b] = op(A[b]) B[b]}, where {@code A} holds {@code batch} row-major
     * {@code [rows x k]} matrices one after the other ({@code [k x rows]} when {@code ta}), {@code B} {@code batch}
     * {@code [k x cols]} matrices and the result {@code batch} {@code [rows x cols]} matrices. One call to the engine for
     * many small products (the blocks of a head-aware map), which one by one would each cost more in calls than in work.
     */
    static float[] batched(float[] a, boolean ta, float[] b, int batch, int rows, int k, int cols) {
        long t0 = TRACE ? System.nanoTime() : Profile.start();
        float[] out = new float[batch * rows * cols];
        ByteBuffer[] buf = BUFFERS.get();
        try (NDManager m = engine.newBaseManager()) {
            buf[0] = fill(buf[0], a, 0, a.length);
            buf[1] = fill(buf[1], b, 0, b.length);
            NDArray x = m.create(view(buf[0], a.length), ta ? new Shape(batch, k, rows) : new Shape(batch, rows, k), DataType.FLOAT32);
            NDArray y = m.create(view(buf[1], b.length), new Shape(batch, k, cols), DataType.FLOAT32);
            if (ta) x = x.transpose(0, 2, 1);
            multiply(x, y).toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer().get(out);
            if (TRACE) System.err.printf("gemm batch %d x %d x %d x %d ta=%b %.1f ms%n", batch, rows, k, cols, ta, (System.nanoTime() - t0) / 1e6);
            return out;
        } finally {
            buf[0] = keepSmall(buf[0]);
            buf[1] = keepSmall(buf[1]);
            Profile.add("gemm.native", t0);
        }
    }

    /** Largest block of an untransposed left operand (or of its result) handed to the engine at once. */
    static final long CHUNK_BYTES = 48L << 20;

    private static final boolean TRACE = Boolean.getBoolean("otfuse.gemm.trace");
    /** Each thread's two operand buffers (A, B), kept between its calls; all of them listed for {@link #release}. */
    private static final java.util.List<ByteBuffer[]> ALL_BUFFERS = new java.util.ArrayList<>();
    private static final ThreadLocal<ByteBuffer[]> BUFFERS = ThreadLocal.withInitial(() -> {
        ByteBuffer[] b = new ByteBuffer[2];
        synchronized (ALL_BUFFERS) {
            ALL_BUFFERS.add(b);
        }
        return b;
    });

    /** A direct native-order buffer holding {@code x[from .. from + len)} at its start: {@code buf} itself when it is large enough. */
    private static ByteBuffer fill(ByteBuffer buf, float[] x, int from, int len) {
        long bytes = 4L * len;
        if (buf == null || buf.capacity() < bytes) {
            if (buf != null) free(buf);
            buf = ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.nativeOrder());
        }
        buf.clear();
        buf.asFloatBuffer().put(x, from, len);
        return buf;
    }

    /** The first {@code floats} values of {@code buf}, as a buffer of exactly that size. */
    private static ByteBuffer view(ByteBuffer buf, int floats) {
        ByteBuffer v = buf.duplicate().order(ByteOrder.nativeOrder());
        v.clear().limit(4 * floats);
        return v.slice().order(ByteOrder.nativeOrder());
    }

    /** Operand buffers up to this size are kept for the next product; larger ones are freed at once (peak RSS). */
    private static final long KEEP_BYTES = 48L << 20;

    private static ByteBuffer keepSmall(ByteBuffer buf) {
        if (buf == null || buf.capacity() <= KEEP_BYTES) return buf;
        free(buf);
        return null;
    }

    /** Returns a direct buffer's native memory now instead of when the collector finds it (no-op where unsupported). */
    private static void free(ByteBuffer buf) {
        try {
            Class<?> u = Class.forName("sun.misc.Unsafe");
            java.lang.reflect.Field f = u.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            u.getMethod("invokeCleaner", ByteBuffer.class).invoke(f.get(null), buf);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // left to the collector
        }
    }

    /** Frees the calling thread's operand buffers and forgets them (a thread that will do no more products, as it ends). */
    static void releaseThread() {
        ByteBuffer[] b = BUFFERS.get();
        synchronized (ALL_BUFFERS) {
            ALL_BUFFERS.remove(b);
        }
        freeAll(b);
        BUFFERS.remove();
    }

    /** Drops every thread's operand buffers (end of a fusion run), so their native memory can be returned. */
    public static void release() {
        synchronized (ALL_BUFFERS) {
            for (ByteBuffer[] b : ALL_BUFFERS) freeAll(b);
        }
    }

    private static void freeAll(ByteBuffer[] b) {
        for (int i = 0; i < b.length; i++) {
            if (b[i] != null) free(b[i]);
            b[i] = null;
        }
    }

    /** Name of the kernel in use, for benchmark output. */
    public static String describe() {
        boolean on = usable(Long.MAX_VALUE);
        return on ? "PyTorch/MKL via DJL, " + System.getProperty("ai.djl.pytorch.num_threads", Runtime.getRuntime().availableProcessors() + "") + " threads" : "Java";
    }
}
