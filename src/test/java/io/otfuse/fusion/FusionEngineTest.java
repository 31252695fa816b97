package io.otfuse.fusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.otfuse.io.Checkpoint;
import io.otfuse.io.ExitCode;
import io.otfuse.io.ModelConfig;
import io.otfuse.io.OtfuseException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FusionEngineTest {
    @TempDir
    Path tmp;

    static ModelConfig vit48() {
        return PermuteRecoverTest.vitCfg();
    }

    FusionOptions weightsOpts(String preset, String solver, double reg) {
        FusionOptions o = FusionOptions.preset(preset);
        o.align = "weights";
        o.solver = solver;
        o.reg = reg;
        return o;
    }

    double relErr(Path a, Path b) {
        try (Checkpoint ca = Checkpoint.open(a); Checkpoint cb = Checkpoint.open(b)) {
            double num = 0, den = 0;
            for (String n : ca.weights().names()) {
                float[] x = ca.readFloats(n), y = cb.readFloats(n);
                for (int i = 0; i < x.length; i++) {
                    num += (x[i] - y[i]) * (x[i] - y[i]);
                    den += x[i] * x[i];
                }
            }
            return Math.sqrt(num / den);
        }
    }

    /**
     * A NaN weight (accepted with allow-nonfinite) never reaches Sinkhorn, which takes the executor's costs as finite
     * without checking them: the costs it spoils are replaced by the largest finite cost and reported, and every map is a
     * finite plan with the right marginals.
     */
    @Test
    void nonFiniteWeightsReachTheSolverAsFiniteCosts() throws Exception {
        Path a = TinyModels.write(tmp.resolve("a"), vit48(), 4, 0.2);
        Path b = TinyModels.write(tmp.resolve("b"), vit48(), 5, 0.2, "intermediate.dense.weight");
        FusionOptions o = weightsOpts("official", "sinkhorn", 0.08);
        assertThrows(OtfuseException.class, () -> Fusion.fuse(List.of(b, a), o, tmp.resolve("refused"), false, null, null));
        o.allowNonfinite = true;
        Fusion.fuse(List.of(b, a), o, tmp.resolve("f"), false, null, null);
        JsonNode rep = new ObjectMapper().readTree(tmp.resolve("f").resolve("fusion-report.json").toFile());
        int warned = 0;
        for (JsonNode sp : rep.get("spaces")) {
            if (sp.has("warning_nonfinite")) warned++;
            if (!sp.has("marginal_error")) continue;
            assertTrue(sp.get("marginal_error").isNumber() && sp.get("marginal_error").asDouble() < 1e-3, sp.get("space") + ": marginal error " + sp.get("marginal_error"));
            assertTrue(sp.get("entropy").isNumber() && Double.isFinite(sp.get("entropy").asDouble()), sp.get("space") + ": entropy " + sp.get("entropy"));
        }
        assertTrue(warned > 0, "no space reports the replaced costs");
    }

    @Test
    void selfFusionIsExactAsLambdaShrinksAndCloseAtTheShippedLambda() {
        Path a = TinyModels.write(tmp.resolve("a"), vit48(), 4, 0.2);
        Fusion.fuse(List.of(a, a), weightsOpts("default", "sinkhorn", 0.002), tmp.resolve("f0"), false, null, null);
        assertTrue(relErr(a, tmp.resolve("f0")) < 1e-5, "lambda 0.002: " + relErr(a, tmp.resolve("f0")));
        Fusion.fuse(List.of(a, a), weightsOpts("default", "sinkhorn", 0.08), tmp.resolve("f1"), false, null, null);
        double e = relErr(a, tmp.resolve("f1"));
        assertTrue(e < 0.25, "lambda 0.08: relative error " + e);
        Fusion.fuse(List.of(a, a), weightsOpts("default", "emd", 1), tmp.resolve("f2"), false, null, null);
        assertEquals(0, relErr(a, tmp.resolve("f2")), 1e-7);
    }

    @Test
    void heterogeneousWidthsGiveAValidAnchorShapedModel() {
        Path anchor = TinyModels.write(tmp.resolve("a"), TinyModels.vit(48, 3, 80, 2, 12, 4), 1, 0.2);
        Path wide = TinyModels.write(tmp.resolve("b"), TinyModels.vit(64, 4, 96, 2, 12, 4), 2, 0.2);
        Path wider = TinyModels.write(tmp.resolve("c"), TinyModels.vit(80, 5, 128, 2, 12, 4), 3, 0.2);
        for (String solver : List.of("emd", "sinkhorn", "sinkhorn-widening")) {
            for (String preset : List.of("default", "official")) {
                FusionOptions o = weightsOpts(preset, solver, 0.06);
                Path out = tmp.resolve("f-" + solver + "-" + preset);
                Fusion.fuse(List.of(anchor, wide, wider), o, out, false, null, null);
                try (Checkpoint f = Checkpoint.open(out)) { // validates shapes against the written config
                    assertEquals(48, f.config().hiddenSize);
                    assertEquals(3, f.config().numAttentionHeads);
                    assertEquals(80, f.config().intermediateSize);
                    for (String n : f.weights().names()) for (float v : f.readFloats(n)) assertTrue(Float.isFinite(v), n);
                    double[] logits = TinyForward.vit(f, new float[3 * 12 * 12]);
                    for (double v : logits) assertTrue(Double.isFinite(v));
                }
            }
        }
        for (String qk : List.of("joint", "shared")) {
            FusionOptions o = weightsOpts("default", "emd", 1);
            o.qk = qk;
            o.headAware = qk.equals("shared"); // different head counts: falls back to cross-head alignment
            Fusion.fuse(List.of(anchor, wide), o, tmp.resolve("qk-" + qk), false, null, null);
            try (Checkpoint f = Checkpoint.open(tmp.resolve("qk-" + qk))) {
                assertEquals(48, f.config().hiddenSize);
            }
        }
        // the anchor may also be the wider one (widening)
        FusionOptions o = weightsOpts("default", "sinkhorn", 0.06);
        o.anchor = 1;
        Fusion.fuse(List.of(anchor, wide), o, tmp.resolve("widen"), false, null, null);
        try (Checkpoint f = Checkpoint.open(tmp.resolve("widen"))) {
            assertEquals(64, f.config().hiddenSize);
        }
    }

    @Test
    void heterogeneousBert() {
        Path anchor = TinyModels.write(tmp.resolve("a"), TinyModels.bert(48, 3, 80, 2), 1, 0.2);
        Path wide = TinyModels.write(tmp.resolve("b"), TinyModels.bert(64, 4, 96, 2), 2, 0.2);
        Fusion.fuse(List.of(anchor, wide), weightsOpts("default", "emd", 1), tmp.resolve("f"), false, null, null);
        try (Checkpoint f = Checkpoint.open(tmp.resolve("f"))) {
            assertEquals(48, f.config().hiddenSize);
            double[][] l = TinyForward.bert(f, new int[] {1, 2, 3});
            assertTrue(Double.isFinite(l[0][0]));
        }
    }

    @Test
    void perModelWeightsAreLinearAndTheOfficialRuleHalvesTheEncoder() {
        Path[] m = new Path[3];
        for (int k = 0; k < 3; k++) m[k] = TinyModels.write(tmp.resolve("m" + k), vit48(), 20 + k, 0.2);
        List<Path> all = List.of(m[0], m[1], m[2]);
        Path[] unit = new Path[3];
        for (int k = 0; k < 3; k++) {
            FusionOptions o = weightsOpts("default", "emd", 1);
            o.weights = new double[] {k == 0 ? 1 : 0, k == 1 ? 1 : 0, k == 2 ? 1 : 0};
            unit[k] = tmp.resolve("u" + k);
            Fusion.fuse(all, o, unit[k], false, null, null);
        }
        FusionOptions o = weightsOpts("default", "emd", 1);
        o.weights = new double[] {0.5, 0.3, 0.2};
        Fusion.fuse(all, o, tmp.resolve("w"), false, null, null);
        FusionOptions off = weightsOpts("official", "emd", 1);
        Fusion.fuse(all, off, tmp.resolve("off"), false, null, null);
        FusionOptions offUnits = weightsOpts("official", "emd", 1);
        offUnits.encoderHalfAlpha = false;
        Path[] ou = new Path[3];
        for (int k = 0; k < 3; k++) {
            offUnits.weights = new double[] {k == 0 ? 1 : 0, k == 1 ? 1 : 0, k == 2 ? 1 : 0};
            ou[k] = tmp.resolve("ou" + k);
            Fusion.fuse(all, offUnits, ou[k], false, null, null);
        }
        try (Checkpoint w = Checkpoint.open(tmp.resolve("w")); Checkpoint u0 = Checkpoint.open(unit[0]); Checkpoint u1 = Checkpoint.open(unit[1]);
             Checkpoint u2 = Checkpoint.open(unit[2]); Checkpoint of = Checkpoint.open(tmp.resolve("off")); Checkpoint o0 = Checkpoint.open(ou[0]);
             Checkpoint o1 = Checkpoint.open(ou[1]); Checkpoint o2 = Checkpoint.open(ou[2]); Checkpoint a = Checkpoint.open(m[0])) {
            for (String n : w.weights().names()) {
                float[] x = w.readFloats(n), y0 = u0.readFloats(n), y1 = u1.readFloats(n), y2 = u2.readFloats(n), an = a.readFloats(n);
                for (int i = 0; i < x.length; i++) {
                    assertEquals(0.5 * y0[i] + 0.3 * y1[i] + 0.2 * y2[i], x[i], 1e-5, n);
                    assertEquals(an[i], y0[i], 1e-7, n); // the anchor's own map is the identity
                }
                boolean enc = n.contains("encoder.layer.");
                float[] f = of.readFloats(n), z0 = o0.readFloats(n), z1 = o1.readFloats(n), z2 = o2.readFloats(n);
                for (int i = 0; i < f.length; i++) {
                    double want = enc ? 0.5 * z0[i] + 0.25 * (z1[i] + z2[i]) : (z0[i] + z1[i] + z2[i]) / 3;
                    assertEquals(want, f[i], 1e-5, n);
                }
            }
        }
    }

    @Test
    void writesReportConfigAndCompanions() throws Exception {
        Path a = TinyModels.write(tmp.resolve("a"), vit48(), 1, 0.2);
        Files.writeString(a.resolve("preprocessor_config.json"), "{\"image_mean\": [0.5]}");
        Path b = TinyModels.write(tmp.resolve("b"), vit48(), 2, 0.2);
        Fusion.fuse(List.of(a, b), weightsOpts("default", "sinkhorn", 0.06), tmp.resolve("f"), false, null, null);
        Path f = tmp.resolve("f");
        assertTrue(Files.exists(f.resolve("preprocessor_config.json")));
        assertTrue(Files.readString(f.resolve(Fusion.CONFIG)).contains("solver: \"sinkhorn\""));
        JsonNode rep = new ObjectMapper().readTree(f.resolve(Fusion.REPORT).toFile());
        JsonNode first = rep.get("spaces").get(0);
        assertEquals("stream", first.get("space").asText());
        for (String key : List.of("rule", "solver", "n", "m", "cost_before", "cost_after", "entropy", "marginal_error", "iterations", "time_ms")) {
            assertTrue(first.has(key), key);
        }
        assertTrue(first.get("cost_after").asDouble() <= first.get("cost_before").asDouble() + 1e-9);
        // plain average baseline writes a loadable model too
        Baselines.vanilla(List.of(a, b), null, tmp.resolve("v"), false);
        try (Checkpoint v = Checkpoint.open(tmp.resolve("v")); Checkpoint ca = Checkpoint.open(a); Checkpoint cb = Checkpoint.open(b)) {
            String n = "classifier.weight";
            assertEquals(0.5 * (ca.readFloats(n)[3] + cb.readFloats(n)[3]), v.readFloats(n)[3], 1e-6);
        }
    }

    @Test
    void bertMlmHeadStaysTiedToTheWordEmbeddings() {
        Path a = TinyModels.write(tmp.resolve("a"), TinyModels.bert(48, 3, 80, 2), 1, 0.2);
        for (String preset : List.of("default", "official")) {
            FusionOptions o = weightsOpts(preset, "emd", 1);
            try (Checkpoint c = Checkpoint.open(a)) {
                Plan p = Executor.planFor(List.of(c, c), o);
                assertEquals(p.aliases().get("word"), p.aliases().get("mlm"), preset);
            }
        }
    }

    @Test
    void spacesArePlannedLayerByLayerAfterTheirInputs() {
        Path vit = TinyModels.write(tmp.resolve("lv"), TinyModels.vit(48, 3, 80, 3, 12, 4), 1, 0.2);
        Path bert = TinyModels.write(tmp.resolve("lb"), TinyModels.bert(48, 3, 80, 3), 1, 0.2);
        for (Path m : List.of(vit, bert)) {
            for (String preset : List.of("default", "official")) {
                try (Checkpoint c = Checkpoint.open(m)) {
                    Plan p = Executor.planFor(List.of(c, c), weightsOpts(preset, "sinkhorn", 1));
                    List<String> ids = p.spaces().stream().map(Plan.Space::id).toList();
                    int lastLayer = -1;
                    boolean after = false;
                    for (Plan.Space sp : p.spaces()) {
                        // layers never interleave: once a later layer started, no space of an earlier one follows
                        if (sp.layer() >= 0) {
                            assertTrue(sp.layer() >= lastLayer, m.getFileName() + " " + preset + ": " + ids);
                            assertTrue(!after, "a space outside the layers before " + sp.id() + ": " + ids);
                            lastLayer = sp.layer();
                        } else if (lastLayer >= 0) {
                            after = true;
                        }
                        int at = ids.indexOf(sp.id());
                        if (sp.input() != null) assertTrue(ids.indexOf(sp.input()) < at, sp.id() + " before its input: " + ids);
                        for (String in : sp.joinInputs()) assertTrue(ids.indexOf(in) < at, sp.id() + " before " + in + ": " + ids);
                    }
                    assertEquals(2, lastLayer, ids.toString());
                    // every layer's q, v and mlp spaces come before the next layer's q
                    assertTrue(ids.indexOf("mlp@0") < ids.indexOf("q@1") && ids.indexOf("mlp@1") < ids.indexOf("q@2"), ids.toString());
                }
            }
        }
    }

    @Test
    void userErrorsAreOneLine() {
        Path a = TinyModels.write(tmp.resolve("a"), vit48(), 1, 0.2);
        Path deep = TinyModels.write(tmp.resolve("d"), TinyModels.vit(48, 3, 80, 3, 12, 4), 1, 0.2);
        Path bert = TinyModels.write(tmp.resolve("bert"), TinyModels.bert(48, 3, 80, 2), 1, 0.2);
        FusionOptions o = weightsOpts("default", "sinkhorn", 0);
        assertEquals(ExitCode.USAGE, assertThrows(OtfuseException.class, () -> Fusion.fuse(List.of(a, a), o, tmp.resolve("x"), false, null, null)).exitCode());
        FusionOptions w = weightsOpts("default", "emd", 1);
        w.weights = new double[] {1.2, -0.2};
        assertTrue(assertThrows(OtfuseException.class, () -> w.validate(2)).getMessage().contains("non-negative"));
        w.weights = new double[] {0.2, 0.2};
        assertTrue(assertThrows(OtfuseException.class, () -> w.validate(2)).getMessage().contains("sum to 1"));
        w.weights = null;
        w.anchor = 2;
        assertTrue(assertThrows(OtfuseException.class, () -> w.validate(2)).getMessage().contains("out of range"));
        FusionOptions ok = weightsOpts("default", "emd", 1);
        assertEquals(ExitCode.INCOMPATIBLE_MODELS, assertThrows(OtfuseException.class,
                () -> Fusion.fuse(List.of(a, deep), ok, tmp.resolve("y"), false, null, null)).exitCode());
        assertEquals(ExitCode.INCOMPATIBLE_MODELS, assertThrows(OtfuseException.class,
                () -> Fusion.fuse(List.of(a, bert), ok, tmp.resolve("z"), false, null, null)).exitCode());
        FusionOptions acts = FusionOptions.preset("official"); // activations without a source
        assertEquals(ExitCode.USAGE, assertThrows(OtfuseException.class,
                () -> Fusion.fuse(List.of(a, a), acts, tmp.resolve("q"), false, null, null)).exitCode());
        assertTrue(new Random(0).nextInt() != 1); // keep imports honest
    }
}
