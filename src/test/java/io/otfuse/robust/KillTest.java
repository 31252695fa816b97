package io.otfuse.robust;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.otfuse.io.Checkpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of a child {@code otfuse permute} at several moments: the destination is either absent or complete
 * (opens, same bytes as an uninterrupted run); the input is unchanged; the hidden temporary folders a kill
 * leaves are never taken for output and are removed by the next run into the same folder.
 */
class KillTest {
    @TempDir
    Path tmp;

    static boolean hasTemp(Path work, long pid) throws java.io.IOException {
        try (Stream<Path> s = Files.list(work)) {
            return s.anyMatch(x -> x.getFileName().toString().startsWith(".out.tmp-" + pid + "-"));
        }
    }

    @Test
    void killedRunLeavesNothingOrTheCompleteOutput() throws Exception {
        Path src = BigModels.write(tmp.resolve("src"), BigModels.config(40, 256, 1024), 7);
        Map<String, String> inputBefore = Checksums.tree(src);
        Path work = Files.createDirectory(tmp.resolve("work"));
        Path ref = work.resolve("ref");
        List<String> jvm = List.of("-Xmx256m");
        ChildJvm.Run full = ChildJvm.run(ChildJvm.command(List.of(), jvm, "io.otfuse.cli.Main",
                List.of("permute", src.toString(), "--seed", "3", "--out", ref.toString())), tmp.resolve("ref.log"), 300);
        assertEquals(0, full.code(), full.output());
        Map<String, String> refSums = Checksums.tree(ref);
        // one kill while computing, four after the hidden temporary folder appeared (while writing, or just after the rename)
        long[] afterTmpMs = {-1, 0, 200, 600, 1500};
        List<String> outcomes = new ArrayList<>();
        int stale = 0;
        for (long d : afterTmpMs) {
            Path out = work.resolve("out");
            Process p = ChildJvm.start(ChildJvm.command(List.of(), jvm, "io.otfuse.cli.Main",
                    List.of("permute", src.toString(), "--seed", "3", "--out", out.toString())), tmp.resolve("kill.log").toFile().toPath());
            long t0 = System.nanoTime();
            String when;
            if (d < 0) {
                Thread.sleep((long) (full.seconds() * 300));
                when = String.format("%d ms after start", (System.nanoTime() - t0) / 1_000_000);
            } else {
                while (p.isAlive() && !hasTemp(work, p.pid())) Thread.sleep(5);
                long seen = System.nanoTime();
                Thread.sleep(d);
                when = String.format("%d ms after the temp folder appeared (%d ms after start)", d, (seen - t0) / 1_000_000 + d);
            }
            long delayMs = 0;
            boolean killed = p.isAlive();
            p.destroyForcibly(); // SIGKILL
            p.waitFor();
            String outcome;
            if (Files.exists(out)) {
                assertEquals(refSums, Checksums.tree(out), "a destination that exists must be complete");
                try (Checkpoint c = Checkpoint.open(out)) {
                    assertEquals(40, c.config().numHiddenLayers);
                }
                outcome = "complete";
                io.otfuse.io.AtomicFiles.deleteTree(out);
            } else {
                outcome = "absent";
            }
            try (Stream<Path> s = Files.list(work)) {
                long leftovers = s.filter(x -> x.getFileName().toString().startsWith(".out.")).count();
                stale = (int) leftovers;
                outcome += ", " + leftovers + " hidden temp folder(s) left";
            }
            outcomes.add(String.format("kill %s (%s): %s", when, killed ? "running" : "had finished", outcome));
        }
        System.out.println("kill test (uninterrupted run " + String.format("%.2f", full.seconds()) + " s):\n  " + String.join("\n  ", outcomes));
        assertEquals(inputBefore, Checksums.tree(src), "input unchanged");
        // a later run cleans the dead processes' temporary folders and writes the complete output
        Path out = work.resolve("out");
        ChildJvm.Run again = ChildJvm.run(ChildJvm.command(List.of(), jvm, "io.otfuse.cli.Main",
                List.of("permute", src.toString(), "--seed", "3", "--out", out.toString())), tmp.resolve("again.log"), 300);
        assertEquals(0, again.code(), again.output());
        assertEquals(refSums, Checksums.tree(out));
        try (Stream<Path> s = Files.list(work)) {
            assertEquals(List.of("out", "ref"), s.map(x -> x.getFileName().toString()).sorted().toList(), "stale temporary folders removed (there were " + stale + ")");
        }
        assertTrue(outcomes.stream().anyMatch(o -> o.contains("absent")), "at least one kill hit before the rename");
        assertFalse(Files.exists(work.resolve(".out")));
        byte[] a = Files.readAllBytes(out.resolve("model.safetensors")), b = Files.readAllBytes(ref.resolve("model.safetensors"));
        assertArrayEquals(a, b);
    }
}
