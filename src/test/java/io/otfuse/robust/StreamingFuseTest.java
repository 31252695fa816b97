package io.otfuse.robust;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.otfuse.cli.Main;
import io.otfuse.io.BertConfig;
import io.otfuse.io.Checkpoint;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fusion streams from memory-mapped inputs and spills fused tensors to a scratch file: three checkpoints whose
 * total size is well above the child JVM's -Xmx fuse, the output is valid, and nothing is left beside it.
 * (The full-size run, 3 x 400 MB with -Xmx512m, is bench/stream-fuse; numbers in docs/RESULTS.md.)
 */
class StreamingFuseTest {
    @TempDir
    Path tmp;

    @Test
    void fusesModelsLargerThanTheHeap() throws Exception {
        BertConfig c = BigModels.config(16, 256, 1024);
        long each = BigModels.bytes(c);
        for (int s = 1; s <= 3; s++) BigModels.write(tmp.resolve("m" + s), c, s);
        String xmx = "96m";
        long heap = 96L << 20;
        assertTrue(3 * each > heap * 3 / 2, "inputs (" + 3 * each + " bytes) must exceed -Xmx");
        assertTrue(each > heap / 2, "the fused model alone exceeds half the heap");
        Path out = tmp.resolve("fused");
        ChildJvm.Run r = ChildJvm.run(ChildJvm.command(List.of(), List.of("-Xmx" + xmx, "-XX:+UseSerialGC"), "io.otfuse.cli.Main",
                List.of("fuse", tmp.resolve("m1").toString(), tmp.resolve("m2").toString(), tmp.resolve("m3").toString(), "--out", out.toString())),
                tmp.resolve("log"), 300);
        System.out.printf("streaming fuse: 3 x %.1f MB inputs, -Xmx%s, %.1f s, peak RSS %d MB (anonymous %d MB)%n",
                each / 1e6, xmx, r.seconds(), r.peakRssKb() >> 10, r.peakAnonKb() >> 10);
        assertEquals(0, r.code(), r.output());
        try (Checkpoint ck = Checkpoint.open(out)) {
            assertEquals(16, ck.config().numHiddenLayers);
        }
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(List.of("fused", "log", "m1", "m2", "m3"), s.map(p -> p.getFileName().toString()).sorted().toList(),
                    "no scratch or temporary files left");
        }
    }

    /** Spilled and in-heap fusion write the same bytes. */
    @Test
    void spillGivesTheSameBytes() throws Exception {
        BertConfig c = BigModels.config(2, 128, 256);
        for (int s = 1; s <= 2; s++) BigModels.write(tmp.resolve("m" + s), c, s);
        byte[][] files = new byte[2][];
        String[] modes = {"never", "always"};
        for (int i = 0; i < 2; i++) {
            int run = i;
            io.otfuse.testing.SystemProperty.with("otfuse.spill", modes[i], () -> {
                Path out = tmp.resolve("out-" + modes[run]);
                StringWriter e = new StringWriter();
                int rc = Main.run(new String[] {"fuse", tmp.resolve("m1").toString(), tmp.resolve("m2").toString(), "--out", out.toString(), "--dtype", "bf16"},
                        new PrintWriter(new StringWriter()), new PrintWriter(e));
                assertEquals(0, rc, e.toString());
                files[run] = Files.readAllBytes(out.resolve("model.safetensors"));
            });
        }
        assertArrayEquals(files[0], files[1]);
        // spilled and sharded: the scratch-file path, read back shard by shard; same tensors
        io.otfuse.testing.SystemProperty.with("otfuse.spill", "always", () -> {
            Path out = tmp.resolve("out-sharded");
            StringWriter e = new StringWriter();
            int rc = Main.run(new String[] {"fuse", tmp.resolve("m1").toString(), tmp.resolve("m2").toString(), "--out", out.toString(), "--dtype", "bf16",
                    "--max-shard-size", "200KB"}, new PrintWriter(new StringWriter()), new PrintWriter(e));
            assertEquals(0, rc, e.toString());
            assertTrue(Files.exists(out.resolve("model.safetensors.index.json")), "sharded");
            try (Checkpoint one = Checkpoint.open(tmp.resolve("out-never")); Checkpoint sharded = Checkpoint.open(out)) {
                for (String n : one.weights().names()) assertArrayEquals(one.readFloats(n), sharded.readFloats(n), n);
            }
        });
    }
}
