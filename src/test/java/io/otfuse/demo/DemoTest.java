package io.otfuse.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.otfuse.fusion.ModelActivationSource;
import io.otfuse.io.Checkpoint;
import io.otfuse.io.ExitCode;
import io.otfuse.io.OtfuseException;
import io.otfuse.model.VitModel;
import io.otfuse.model.data.ImageData;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo's orchestration on a tiny recipe: outputs, table rows, cache reuse, refusal to clobber. */
class DemoTest {
    @TempDir
    Path tmp;

    static Demo.Recipe tiny() {
        Demo.Recipe r = new Demo.Recipe();
        r.hidden = 16;
        r.layers = 1;
        r.heads = 2;
        r.mlp = 32;
        r.epochs = 1;
        r.limit = 300;
        r.evalLimit = 200;
        r.batch = 50;
        r.finetuneEpochs = 1;
        r.finetuneLimit = 100;
        r.samples = 50;
        return r;
    }

    @Test
    void tinyDemoWritesModelsTableAndReport() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(DataCheck.present(ImageData.FASHION_MNIST), "Fashion-MNIST not installed");
        Path cache = tmp.resolve("cache"), out = tmp.resolve("demo-out");
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream log = new PrintStream(buf, true, StandardCharsets.UTF_8);
        Demo.Result res = Demo.run(new Demo.Options(out, false, cache, tiny(), new ModelActivationSource(), false, log));
        String text = buf.toString(StandardCharsets.UTF_8);

        List<String> names = res.rows().stream().map(Demo.Row::name).toList();
        assertEquals(List.of("parent seed 1", "parent seed 2", "ensemble (logits)", "vanilla", "ot-hard-weights", "ot-soft-weights",
                "ot-hard-acts", "ot-soft-acts", "official-acts"), names);
        for (Demo.Row r : res.rows()) assertTrue(r.oneShot() >= 0 && r.oneShot() <= 1, r.toString());
        assertTrue(res.rows().stream().filter(r -> !Double.isNaN(r.afterFinetune())).count() == 2, "best OT variant and vanilla finetuned");
        for (String dir : List.of("parents/seed1", "parents/seed2", "fused/vanilla", "fused/ot-hard-weights", "fused/ot-soft-weights", "fused/ot-soft-acts",
                "fused/official-acts", "finetuned/vanilla")) {
            try (Checkpoint ck = Checkpoint.open(out.resolve(dir)); NDManager m = NDManager.newBaseManager(); VitModel model = VitModel.load(ck, m)) {
                assertEquals(16, model.config().hiddenSize, dir);
            }
        }
        assertTrue(Files.isRegularFile(out.resolve("fused/ot-hard-weights/fusion-report.json")));
        String html = Files.readString(res.report());
        assertTrue(html.contains("<table"), "report has tables");
        for (String n : names) assertTrue(html.contains(n), "report row " + n);
        assertTrue(html.contains("after finetune"));
        assertTrue(html.contains("data:image/png;base64,"), "charts embedded");
        assertFalse(html.contains("src=\"http"), "self-contained");
        assertTrue(Files.readString(out.resolve("results.json")).contains("\"ot-hard-weights\""));
        for (String n : names) assertTrue(text.contains(n), "printed table row " + n);
        assertTrue(text.contains("training into"));

        // existing output: refused without force
        OtfuseException e = assertThrows(OtfuseException.class, () -> Demo.run(new Demo.Options(out, false, cache, tiny(), null, false, log)));
        assertEquals(ExitCode.OUTPUT_EXISTS, e.exitCode());

        // warm: parents reused from the cache, same parent accuracies; a changed recipe gets another key
        buf.reset();
        Demo.Recipe warmRecipe = tiny();
        warmRecipe.finetuneVanilla = false;
        Demo.Result warm = Demo.run(new Demo.Options(out, true, cache, warmRecipe, null, false, log));
        String warmText = buf.toString(StandardCharsets.UTF_8);
        assertTrue(warmText.contains("reusing"), warmText);
        assertFalse(warmText.contains("training into"));
        assertEquals(res.rows().get(0).oneShot(), warm.rows().get(0).oneShot(), 1e-12);
        Demo.Recipe other = tiny();
        other.epochs = 2;
        assertNotEquals(tiny().key(), other.key());
        assertEquals(tiny().key(), warmRecipe.key(), "finetune settings do not change the parents' key");
    }

    @Test
    void missingDataIsDetected() {
        assertFalse(DataCheck.present(tmp));
    }
}
