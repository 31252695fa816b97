package io.otfuse.reproduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.otfuse.demo.DataCheck;
import io.otfuse.fusion.ModelActivationSource;
import io.otfuse.model.data.ImageData;
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

/** The whole vit study on tiny models: every step runs, results are sane, a rerun resumes without recomputing. */
class VitStudyTest {
    @TempDir
    Path tmp;

    static VitStudy.Settings tiny() {
        VitStudy.Settings s = VitStudy.Settings.quick();
        s.parentName = "vit-tiny";
        s.narrowName = "vit-tiny-h12";
        s.hidden = 16;
        s.layers = 1;
        s.heads = 2;
        s.mlp = 32;
        s.narrowHidden = 12;
        s.narrowHeads = 2;
        s.narrowMlp = 24;
        s.epochs = 1;
        s.batch = 50;
        s.limit = 300;
        s.evalLimit = 200;
        s.budget = 0.5;
        s.evalEvery = 0.5;
        s.recipes = List.of(new VitStudy.Recipe("b1-lr1e-3-const", 1.0, 1e-3, "constant"));
        s.samples = 50;
        s.lambdas = new double[] {0.01, 0.1};
        s.sampleCounts = new int[] {20, 50};
        s.residuals = List.of("mean", "weighted-neuron");
        s.qkModes = List.of("shared", "joint");
        s.tokenFilters = List.of("all", "cls");
        s.actNorms = List.of("standardise");
        s.ns = new int[] {2, 3};
        return s;
    }

    /** Two parents and one value per ablation: the default suite's check of the pipeline (a fraction of a minute). */
    @Test
    void minimalStudyIsSaneAndResumes() throws Exception {
        Assumptions.assumeTrue(DataCheck.present(ImageData.FASHION_MNIST), "Fashion-MNIST not installed");
        VitStudy.Settings s = tiny();
        s.seeds = 2;
        s.recipes = List.of();
        s.lambdas = new double[] {0.05};
        s.sampleCounts = new int[] {30};
        s.residuals = List.of("mean");
        s.qkModes = List.of("shared");
        s.tokenFilters = List.of("all");
        s.ns = new int[] {2};
        Path out = tmp.resolve("minimal");
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream log = new PrintStream(buf, true, StandardCharsets.UTF_8);
        VitStudy.Options opts = new VitStudy.Options(out, null, s, new ModelActivationSource(), false, log);
        JsonNode st = VitStudy.run(opts).path("steps");
        assertFalse(buf.toString(StandardCharsets.UTF_8).contains("[failed]"), buf.toString(StandardCharsets.UTF_8));
        double p1 = st.path("parent-seed1").path("accuracy").asDouble();
        assertEquals(p1, st.path("sanity-self-vanilla").path("accuracy").asDouble(), 1e-12, "vanilla fusion of a model with itself is the model");
        assertEquals(p1, st.path("sanity-self-ot").path("accuracy").asDouble(), 1e-12, "OT fusion of a model with itself is the model");
        double la = st.path("parent-seed1").path("loss").asDouble(), lb = st.path("parent-seed2").path("loss").asDouble();
        assertTrue(st.path("oneshot-p12-ensemble").path("loss").asDouble() <= (la + lb) / 2 + 1e-6, "ensemble loss at most the parents' mean (convexity)");
        for (String id : List.of("oneshot-p12-ot-soft-acts", "ablate-lambda-acts-0.05", "finetune-p12-ot", "further-seed2", "multi-n2-ot", "hetero-finetune-wide",
                "narrow-further")) {
            double a = st.path(id).path("accuracy").asDouble(-1);
            assertTrue(a >= 0 && a <= 1, id + " has an accuracy: " + st.path(id));
        }
        assertTrue(Files.readString(out.resolve("RESULTS.md")).contains("| pair (1,2) | mean |"));
        buf.reset();
        VitStudy.run(opts);
        assertFalse(buf.toString(StandardCharsets.UTF_8).contains("[running]"), "a rerun recomputes nothing");
    }

    /** Every part of the study with four parents (a few minutes on a loaded 2-core machine). */
    @Tag("slow")
    @Test
    void tinyStudyRunsResumesAndIsSane() throws Exception {
        Assumptions.assumeTrue(DataCheck.present(ImageData.FASHION_MNIST), "Fashion-MNIST not installed");
        Path out = tmp.resolve("study");
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream log = new PrintStream(buf, true, StandardCharsets.UTF_8);
        VitStudy.Options opts = new VitStudy.Options(out, null, tiny(), new ModelActivationSource(), false, log);
        ObjectNode res = VitStudy.run(opts);
        String text = buf.toString(StandardCharsets.UTF_8);
        assertFalse(text.contains("[failed]"), text);

        JsonNode st = res.path("steps");
        for (String id : List.of("parent-seed1", "parent-seed4", "narrow", "oneshot-p12-vanilla", "oneshot-p34-ot-soft-acts", "oneshot-p12-official-acts",
                "ablate-lambda-acts-0.01", "ablate-residual-weighted-neuron", "ablate-qk-joint", "ablate-tokens-cls", "ablate-samples-20",
                "finetune-p12-ot", "finetune-p34-vanilla", "further-seed3", "recipe-b1-lr1e-3-const-ot", "recipe-b1-lr1e-3-const-parent",
                "multi-n3-ot", "multi-n3-ensemble", "hetero-ot-wide", "hetero-finetune-uniform", "narrow-further")) {
            double a = st.path(id).path("accuracy").asDouble(-1);
            assertTrue(a >= 0 && a <= 1, id + " has an accuracy: " + st.path(id));
        }
        // fusing a model with itself gives the model back, exactly
        double p1 = st.path("parent-seed1").path("accuracy").asDouble();
        assertEquals(p1, st.path("sanity-self-vanilla").path("accuracy").asDouble(), 1e-12);
        assertEquals(p1, st.path("sanity-self-ot").path("accuracy").asDouble(), 1e-12);
        assertEquals(st.path("parent-seed1").path("loss").asDouble(), st.path("sanity-self-ot").path("loss").asDouble(), 1e-4);
        // output ensembling: cross-entropy is convex in the logits, so the ensemble's loss is at most the parents' mean loss
        for (String p : List.of("p12", "p34")) {
            int a = p.charAt(1) - '0', b = p.charAt(2) - '0';
            double la = st.path("parent-seed" + a).path("loss").asDouble(), lb = st.path("parent-seed" + b).path("loss").asDouble();
            JsonNode ens = st.path("oneshot-" + p + "-ensemble");
            assertTrue(ens.path("loss").asDouble() <= (la + lb) / 2 + 1e-6, p + ": ensemble loss " + ens.path("loss") + " vs parents " + la + ", " + lb);
            assertEquals(2 * st.path("parent-seed1").path("params").asLong(), ens.path("params").asLong());
        }
        // the narrow anchor and the compressed model are smaller than a parent
        assertTrue(st.path("hetero-ot-wide").path("params").asLong() < st.path("parent-seed1").path("params").asLong());
        assertEquals(st.path("narrow").path("params").asLong(), st.path("hetero-ot-wide").path("params").asLong());
        // finetune curves start at the one-shot accuracy and have points inside the budget
        JsonNode curve = st.path("finetune-p12-ot").path("curve");
        assertEquals(0.0, curve.path("epochs").get(0).asDouble());
        assertEquals(st.path("finetune-p12-ot").path("start_accuracy").asDouble(), curve.path("test_accuracy").get(0).asDouble(), 1e-12);
        assertEquals(0.5, curve.path("epochs").get(curve.path("epochs").size() - 1).asDouble(), 1e-9);

        // outputs
        String md = Files.readString(out.resolve("RESULTS.md"));
        for (String s : List.of("One-shot test accuracy", "Sinkhorn regularisation", "Claims of the paper", "| N |", "plots/lambda.png")) assertTrue(md.contains(s), s);
        assertTrue(Files.size(out.resolve("plots/lambda.png")) > 1000);
        String html = Files.readString(out.resolve("report.html"));
        assertTrue(html.contains("data:image/png;base64,") && html.contains("<table"));
        assertTrue(res.path("tables").path("oneshot").path("rows").size() >= 9);

        // resume: a second run recomputes nothing; removing one result reruns only that step
        buf.reset();
        VitStudy.run(opts);
        String again = buf.toString(StandardCharsets.UTF_8);
        assertFalse(again.contains("[running]"), again);
        Files.delete(out.resolve("steps/multi-n3-vanilla.json"));
        buf.reset();
        ObjectNode res3 = VitStudy.run(opts);
        String third = buf.toString(StandardCharsets.UTF_8);
        assertEquals(1, third.split("\\[running]", -1).length - 1, third);
        assertEquals(st.path("multi-n3-vanilla").path("accuracy").asDouble(), res3.path("steps").path("multi-n3-vanilla").path("accuracy").asDouble(), 1e-12);
    }
}
