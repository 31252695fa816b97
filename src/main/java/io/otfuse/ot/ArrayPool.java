package io.otfuse.ot;

import java.lang.ref.SoftReference;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Large scratch arrays handed back for reuse: a fusion solves dozens of problems of the same few sizes, and each
 * cost matrix, plan and normalised map of a 3072 x 3072 space is 37-75 MB. Allocating them afresh makes the young
 * collector copy the live ones and fills the old generation with dead ones; reusing them keeps them in the old
 * generation, untouched by young collections.
 *
 * <p>Arrays below {@link #MIN_LENGTH} are neither pooled nor returned from the pool. Pooled arrays are held through
 * soft references (the collector may drop them under memory pressure) and come back with unspecified contents:
 * a caller must write every entry it reads. An array must not be handed back while anything still reads it.
 */
public final class ArrayPool {
    /** Shorter arrays are allocated normally (a 768 x 768 double matrix is 589 824 entries). */
    public static final int MIN_LENGTH = 1 << 19;
    /**
     * At most this many free arrays are kept per type and length. A ViT-B layer hands back a dozen 768 x 768 and
     * 3072 x 768 float arrays in bursts (moves, features, products) before asking for them again; with two kept, most
     * of them became garbage and the old generation filled with them (a full collection every second or so).
     * Large arrays are kept fewer times: at most {@link #PER_SIZE_BYTES} of one size, but always two.
     */
    private static final int PER_SIZE = 8;
    /** Bytes kept free per type and length (a 3072 x 3072 float plan: four; a BERT embedding matrix: two). */
    private static final long PER_SIZE_BYTES = 160L << 20;

    private static final Map<Integer, ArrayDeque<SoftReference<double[]>>> DOUBLES = new HashMap<>();
    private static final Map<Integer, ArrayDeque<SoftReference<float[]>>> FLOATS = new HashMap<>();

    private ArrayPool() {
    }

    /** A {@code double[length]}: a pooled one (contents unspecified) when one is free, else a new (zeroed) array. */
    public static double[] doubles(int length) {
        if (length >= MIN_LENGTH) {
            double[] x = take(DOUBLES, length);
            if (x != null) {
                return x;
            }
        }
        return new double[length];
    }

    /** A {@code float[length]}: a pooled one (contents unspecified) when one is free, else a new (zeroed) array. */
    public static float[] floats(int length) {
        if (length >= MIN_LENGTH) {
            float[] x = take(FLOATS, length);
            if (x != null) {
                return x;
            }
        }
        return new float[length];
    }

    /** Hands {@code x} back (no-op for null or short arrays); the caller must not use it afterwards. */
    public static void give(double[] x) {
        if (x != null && x.length >= MIN_LENGTH) {
            put(DOUBLES, x.length, x);
        }
    }

    /** Hands {@code x} back (no-op for null or short arrays); the caller must not use it afterwards. */
    public static void give(float[] x) {
        if (x != null && x.length >= MIN_LENGTH) {
            put(FLOATS, x.length, x);
        }
    }

    /** Drops every pooled array (end of a fusion, or tests). */
    public static synchronized void clear() {
        DOUBLES.clear();
        FLOATS.clear();
    }

    /** Number of pooled arrays still reachable, for tests. */
    public static synchronized int pooled() {
        int c = 0;
        for (ArrayDeque<SoftReference<double[]>> q : DOUBLES.values()) {
            for (SoftReference<double[]> r : q) {
                c += r.get() == null ? 0 : 1;
            }
        }
        for (ArrayDeque<SoftReference<float[]>> q : FLOATS.values()) {
            for (SoftReference<float[]> r : q) {
                c += r.get() == null ? 0 : 1;
            }
        }
        return c;
    }

    private static synchronized <T> T take(Map<Integer, ArrayDeque<SoftReference<T>>> pool, int length) {
        ArrayDeque<SoftReference<T>> q = pool.get(length);
        while (q != null && !q.isEmpty()) {
            T x = q.pollLast().get();
            if (x != null) {
                return x;
            }
        }
        return null;
    }

    /** How many free arrays of {@code length} entries of {@code bytes} each are kept. */
    static int keep(int length, int bytes) {
        return (int) Math.max(2, Math.min(PER_SIZE, PER_SIZE_BYTES / ((long) length * bytes)));
    }

    private static synchronized <T> void put(Map<Integer, ArrayDeque<SoftReference<T>>> pool, int length, T x) {
        ArrayDeque<SoftReference<T>> q = pool.computeIfAbsent(length, k -> new ArrayDeque<>());
        q.removeIf(r -> r.get() == null);
        for (SoftReference<T> r : q) {
            if (r.get() == x) {
                throw new IllegalStateException("array of " + length + " entries handed back twice");
            }
        }
        if (q.size() < keep(length, x instanceof double[] ? 8 : 4)) {
            q.addLast(new SoftReference<>(x));
        }
    }
}
