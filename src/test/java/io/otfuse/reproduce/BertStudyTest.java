package io.otfuse.reproduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.otfuse.fusion.ModelActivationSource;
import io.otfuse.model.text.Corpus;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bert study on tiny masked-LM models: every step runs and a rerun recomputes nothing. */
@Tag("slow")
class BertStudyTest {
    @TempDir
    Path tmp;

    @Test
    void tinyBertStudyRuns() throws Exception {
        Assumptions.assumeTrue(Files.isDirectory(Corpus.WORDNET), "wordnet-base not installed");
        BertStudy.Settings s = BertStudy.Settings.quick();
        s.hidden = 16;
        s.heads = 2;
        s.mlp = 32;
        s.vocab = 300;
        s.epochs = 1;
        s.parentEpochs = 1;
        s.limit = 300;
        s.evalLimit = 60;
        s.samples = 20;
        s.budget = 0.5;
        s.evalEvery = 0.25;
        Path out = tmp.resolve("bert");
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream log = new PrintStream(buf, true, StandardCharsets.UTF_8);
        BertStudy.Options o = new BertStudy.Options(out, null, s, new ModelActivationSource(), false, log);
        JsonNode res = BertStudy.run(o);
        assertFalse(buf.toString(StandardCharsets.UTF_8).contains("[failed]"), buf.toString(StandardCharsets.UTF_8));
        JsonNode st = res.path("steps");
        for (String id : List.of("parent-seed1", "parent-seed2", "oneshot-vanilla", "oneshot-ot-hard-weights", "oneshot-ot-soft-acts", "oneshot-official-acts",
                "finetune-ot", "finetune-vanilla", "further-best-parent")) {
            double loss = st.path(id).path("loss").asDouble(Double.NaN);
            assertTrue(Double.isFinite(loss) && loss > 0, id + ": " + st.path(id));
            assertEquals(Math.exp(loss), st.path(id).path("perplexity").asDouble(), 1e-6 * Math.exp(loss));
        }
        assertEquals(st.path("parent-seed1").path("params").asLong(), st.path("oneshot-ot-soft-acts").path("params").asLong());
        assertTrue(Files.readString(out.resolve("RESULTS.md")).contains("one-shot OT loss < vanilla"));
        assertTrue(Files.readString(out.resolve("report.html")).contains("<table"));
        buf.reset();
        BertStudy.run(o);
        assertFalse(buf.toString(StandardCharsets.UTF_8).contains("[running]"));
    }
}
