package io.otfuse.fusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.otfuse.cli.Main;
import io.otfuse.io.Checkpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FuseCommandTest {
    @TempDir
    Path tmp;

    record Run(int code, String err) {}

    Run run(String... args) {
        java.io.StringWriter err = new java.io.StringWriter();
        int rc = Main.run(args, new java.io.PrintWriter(new java.io.StringWriter()), new java.io.PrintWriter(err));
        return new Run(rc, err.toString());
    }

    @Test
    void configFileFlagsOverrideAndResolvedConfigIsSaved() throws Exception {
        Path a = TinyModels.write(tmp.resolve("a"), PermuteRecoverTest.vitCfg(), 1, 0.2);
        assertEquals(0, run("permute", a.toString(), "--seed", "3", "--out", tmp.resolve("p").toString()).code());
        Files.writeString(tmp.resolve("f.yaml"), "models: [a, p]\nout: fused\nsolver: sinkhorn\nreg: 0.5\nalign: weights\nqk: separate\n");
        Run r = run("fuse", "--config", tmp.resolve("f.yaml").toString(), "--solver", "emd", "--weights", "0,1");
        assertEquals(0, r.code(), r.err());
        String saved = Files.readString(tmp.resolve("fused").resolve(Fusion.CONFIG));
        assertTrue(saved.contains("solver: \"emd\""), saved);
        assertTrue(saved.contains("reg: 0.5"), saved);
        try (Checkpoint ca = Checkpoint.open(a); Checkpoint cf = Checkpoint.open(tmp.resolve("fused"))) {
            for (String n : ca.weights().names()) assertTrue(PermuteRecoverTest.maxDiff(ca, cf, n) < 1e-5, n);
        }
        // the saved config reproduces the run
        Run again = run("fuse", "--config", tmp.resolve("fused").resolve(Fusion.CONFIG).toString(), "--out", tmp.resolve("again").toString());
        assertEquals(0, again.code(), again.err());
    }

    @Test
    void errorsAreOneLineWithExitCodes() throws Exception {
        Path a = TinyModels.write(tmp.resolve("a"), PermuteRecoverTest.vitCfg(), 1, 0.2);
        String m = a.toString();
        Files.writeString(tmp.resolve("bad.yaml"), "solvr: emd\n");
        Run r = run("fuse", m, m, "--out", tmp.resolve("x").toString(), "--config", tmp.resolve("bad.yaml").toString());
        assertEquals(4, r.code());
        assertTrue(r.err().contains("unknown key 'solvr'") && r.err().contains("solver"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        r = run("fuse", m, m, "--out", tmp.resolve("x").toString(), "--reg", "0", "--align", "weights");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--reg must be a positive number"), r.err());
        r = run("fuse", m, m, "--out", tmp.resolve("x").toString(), "--weights", "0.7,0.7", "--align", "weights");
        assertEquals(2, r.code());
        r = run("fuse", m, m, "--out", tmp.resolve("x").toString(), "--anchor", "5", "--align", "weights");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--anchor 5 is out of range"), r.err());
        r = run("fuse", m, "--out", tmp.resolve("x").toString());
        assertEquals(2, r.code());
    }

    @Test
    void maxShardSizeWritesShardsWithAnIndex() throws Exception {
        Path a = TinyModels.write(tmp.resolve("a"), PermuteRecoverTest.vitCfg(), 1, 0.2);
        Path b = TinyModels.write(tmp.resolve("b"), PermuteRecoverTest.vitCfg(), 2, 0.2);
        Run r = run("fuse", a.toString(), b.toString(), "--out", tmp.resolve("f").toString(), "--max-shard-size", "20KB");
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.exists(tmp.resolve("f").resolve("model.safetensors.index.json")));
        try (Checkpoint c = Checkpoint.open(tmp.resolve("f"))) {
            assertTrue(c.weights().files().size() > 1, "several shards");
        }
        Run bad = run("fuse", a.toString(), b.toString(), "--out", tmp.resolve("g").toString(), "--max-shard-size", "lots");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("not a size"), bad.err());
        assertTrue(!Files.exists(tmp.resolve("g")));
    }
}
