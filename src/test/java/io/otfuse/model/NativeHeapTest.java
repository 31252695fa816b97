package io.otfuse.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class NativeHeapTest {
    /** Resident anonymous memory of this process, in MB. */
    static long rssAnonMb() throws Exception {
        for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (l.startsWith("RssAnon:")) return Long.parseLong(l.replaceAll("[^0-9]", "")) >> 10;
        }
        throw new AssertionError("no RssAnon in /proc/self/status");
    }

    /**
     * Engine arrays that are closed stay in glibc's arenas (a freed 16 MB block first raises glibc's threshold, so the
     * later blocks of that size are not mapped on their own) until trim() hands them back.
     */
    @Test
    void trimReturnsClosedEngineArrays() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            m.ones(new Shape(4 << 20)).close();
            List<NDArray> blocks = new ArrayList<>();
            for (int i = 0; i < 16; i++) blocks.add(m.ones(new Shape(4 << 20))); // 16 MB each, written
            long full = rssAnonMb();
            for (NDArray b : blocks) b.close();
            NativeHeap.trim();
            long after = rssAnonMb();
            assertTrue(full - after >= 200, "closing 256 MB of arrays and trimming returned only " + (full - after) + " MB");
        }
    }
}
