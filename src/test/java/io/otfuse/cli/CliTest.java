package io.otfuse.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.otfuse.io.CheckpointWriter;
import io.otfuse.io.DType;
import io.otfuse.io.HfLayout;
import io.otfuse.io.TensorEntry;
import io.otfuse.io.TensorInfo;
import io.otfuse.io.VitConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliTest {
    @TempDir
    Path tmp;

    record Result(int code, String out, String err) {}

    static Result run(String... args) {
        StringWriter o = new StringWriter(), e = new StringWriter();
        int rc = Main.run(args, new PrintWriter(o), new PrintWriter(e));
        return new Result(rc, o.toString(), e.toString());
    }

    @Test
    void helpAndVersion() {
        Result h = run("--help");
        assertEquals(0, h.code);
        assertTrue(h.out.contains("inspect") && h.out.contains("Exit codes"), h.out);
        Result v = run("--version");
        assertEquals(0, v.code);
        assertTrue(v.out.startsWith("otfuse "), v.out);
    }

    @Test
    void inspectPrintsArchitectureTensorsAndExactParameterCount() throws Exception {
        VitConfig c = VitConfig.create(12, 2, 3, 20, 8, 4, 1, List.of("a", "b"));
        List<TensorEntry> ts = new ArrayList<>();
        long expected = 0;
        for (Map.Entry<String, long[]> e : HfLayout.expected(c).entrySet()) {
            int n = (int) TensorInfo.numel(e.getValue());
            expected += n;
            ts.add(TensorEntry.ofFloats(e.getKey(), e.getValue(), new float[n], DType.F16));
        }
        Path dir = new CheckpointWriter(tmp.resolve("m"), false).config(c).tensors(ts).write();
        Result r = run("inspect", dir.toString());
        assertEquals(0, r.code, r.err);
        assertTrue(r.out.contains("ViTForImageClassification"), r.out);
        assertTrue(r.out.contains("parameters:   " + expected + "\n"), r.out);
        assertTrue(r.out.lines().anyMatch(l -> l.matches("vit\\.embeddings\\.patch_embeddings\\.projection\\.weight +F16 +\\[12,1,4,4\\] +192")), r.out);
        assertTrue(r.out.contains("model.safetensors") && r.out.contains("config.json"), r.out);
        Result j = run("inspect", "--json", dir.toString());
        assertTrue(j.out.contains("\"parameters\" : " + expected), j.out);
    }

    @Test
    void userErrorsAreOneLineWithoutStackTrace() throws Exception {
        Path bad = Files.write(tmp.resolve("bad.safetensors"), new byte[] {1, 2, 3});
        Result r = run("inspect", bad.toString());
        assertEquals(3, r.code);
        assertEquals(1, r.err.strip().lines().count(), r.err);
        assertTrue(r.err.startsWith("otfuse: " + bad), r.err);
        assertFalse(r.err.contains("\tat "), r.err);
        Result d = run("inspect", "--debug", bad.toString());
        assertTrue(d.err.contains("\tat "), "--debug shows the stack trace");
        Result u = run("inspect");
        assertEquals(2, u.code);
        assertTrue(u.err.contains("Missing required parameter"), u.err);
        Result unknown = run("nosuchcommand");
        assertEquals(2, unknown.code);
    }
}
