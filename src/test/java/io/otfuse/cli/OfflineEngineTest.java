package io.otfuse.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine must load and compute with no network at all: a child JVM runs in a fresh network
 * namespace (no interface but a downed loopback) with an empty DJL cache, so any download attempt
 * would fail, and multiplies two matrices.
 */
class OfflineEngineTest {
    @TempDir
    Path cache;

    @Test
    void matmulWorksWithTheNetworkUnavailable() throws Exception {
        Path unshare = Path.of("/usr/bin/unshare");
        assertTrue(Files.isExecutable(unshare), "util-linux unshare is needed to cut the network");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(List.of(unshare.toString(), "--net", java,
                "-cp", System.getProperty("java.class.path"), "-Dai.djl.offline=true", "io.otfuse.cli.Main", "doctor"));
        pb.environment().put("DJL_CACHE_DIR", cache.toString());
        pb.environment().put("ENGINE_CACHE_DIR", cache.toString());
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("matmul [2x3]x[3x2] = [58.0, 64.0, 139.0, 154.0] ok"), out);
        assertTrue(out.contains("offline: true"), out);
        // the natives came from the jar on the class path into the fresh cache
        try (var s = Files.walk(cache)) {
            assertTrue(s.anyMatch(f -> f.getFileName().toString().startsWith("libtorch")), "natives extracted from the classpath jar");
        }
    }
}
