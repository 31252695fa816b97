package io.otfuse.fusion;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Wall time per fusion phase, summed over a run, when the JVM runs with {@code -Dotfuse.profile=true} (the
 * benchmark prints it per row); otherwise every call is a no-op. Phases may nest, so the sums overlap.
 */
public final class Profile {
    static final boolean ON = Boolean.getBoolean("otfuse.profile");
    private static final Map<String, LongAdder> NANOS = new ConcurrentHashMap<>();

    private Profile() {}

    static long start() {
        return ON ? System.nanoTime() : 0;
    }

    static void add(String phase, long start) {
        if (ON) NANOS.computeIfAbsent(phase, k -> new LongAdder()).add(System.nanoTime() - start);
    }

    /** Seconds per phase since the last call, sorted by name; clears the counters. */
    public static Map<String, Double> drain() {
        Map<String, Double> out = new TreeMap<>();
        for (Map.Entry<String, LongAdder> e : NANOS.entrySet()) out.put(e.getKey(), e.getValue().sumThenReset() / 1e9);
        out.values().removeIf(v -> v == 0);
        return out;
    }
}
