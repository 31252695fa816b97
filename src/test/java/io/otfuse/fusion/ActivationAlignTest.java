package io.otfuse.fusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.otfuse.io.Checkpoint;
import io.otfuse.io.ModelConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ActivationAlignTest {
    @TempDir
    Path tmp;

    void recover(ModelConfig cfg, FusionOptions o, String tag) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve(tag));
        Path a = TinyModels.write(dir.resolve("a"), cfg, 11, 0.2);
        Permuter.permute(a, 5, dir.resolve("p"), false);
        o.align = "activations";
        o.data = "random";
        o.samples = 12;
        o.solver = "emd";
        o.weights = new double[] {0, 1};
        o.encoderHalfAlpha = false;
        Fusion.fuse(List.of(a, dir.resolve("p")), o, dir.resolve("f"), false, new TinyActivationSource(), null);
        try (Checkpoint ca = Checkpoint.open(a); Checkpoint cf = Checkpoint.open(dir.resolve("f"))) {
            for (String n : ca.weights().names()) {
                double d = PermuteRecoverTest.maxDiff(ca, cf, n);
                assertTrue(d < 1e-5, tag + ": " + n + " differs by " + d);
            }
        }
    }

    @Test
    void exactAlignmentFromActivationsRecoversVitAndBert() throws Exception {
        recover(PermuteRecoverTest.vitCfg(), FusionOptions.preset("default"), "vit-default");
        recover(PermuteRecoverTest.bertCfg(), FusionOptions.preset("default"), "bert-default");
        // the official preset (window filter, cls-only last layer, per-join maps) recovers the cls token too from activations
        FusionOptions off = FusionOptions.preset("official");
        off.tokens = "window-2";
        recover(PermuteRecoverTest.vitCfg(), off, "vit-official");
        FusionOptions joint = FusionOptions.preset("official");
        joint.qk = "joint";
        joint.tokens = "all";
        recover(PermuteRecoverTest.bertCfg(), joint, "bert-joint");
        FusionOptions weighted = FusionOptions.preset("official");
        weighted.residual = "weighted-neuron";
        recover(PermuteRecoverTest.vitCfg(), weighted, "vit-weighted");
    }

    /** PCA of the activations (6 of the 12+ sample dimensions) keeps a permuted copy exactly recoverable. */
    @Test
    void exactAlignmentThroughPcaOfActivations() throws Exception {
        FusionOptions vit = FusionOptions.preset("default");
        vit.pca = 6;
        recover(PermuteRecoverTest.vitCfg(), vit, "vit-pca");
        FusionOptions bert = FusionOptions.preset("official");
        bert.pca = 6;
        recover(PermuteRecoverTest.bertCfg(), bert, "bert-pca");
        String report = Files.readString(tmp.resolve("vit-pca/f/fusion-report.json"));
        assertTrue(report.contains("\"pca_components\" : 6"), "the report gives the directions kept per space");
    }

    /**
     * Activations streamed batch by batch into a scratch file give the same fused bytes as activations kept in the heap,
     * and the file goes (a window filter splits every sample's tokens into runs; batches of 4 leave a last one of 1).
     */
    @Test
    void spilledActivationsGiveTheSameModel() throws Exception {
        Path a = TinyModels.write(tmp.resolve("a"), PermuteRecoverTest.vitCfg(), 3, 0.2);
        Path b = TinyModels.write(tmp.resolve("b"), PermuteRecoverTest.vitCfg(), 4, 0.2);
        byte[][] out = new byte[2][];
        String[] modes = {"never", "always"};
        for (int i = 0; i < 2; i++) {
            int run = i;
            io.otfuse.testing.SystemProperty.with("otfuse.spill", modes[i], () -> {
                FusionOptions o = FusionOptions.preset("official");
                o.data = "random";
                o.samples = 9;
                o.tokens = "window-2"; // cls and patches 1, 2, 4, 5 of the 3 x 3 grid
                o.residual = "weighted-neuron"; // reads the anchor's activations at the joins too
                Path dir = Files.createDirectories(tmp.resolve("run-" + modes[run]));
                Fusion.fuse(List.of(a, b), o, dir.resolve("f"), false, new TinyActivationSource(), null);
                out[run] = Files.readAllBytes(dir.resolve("f").resolve("model.safetensors"));
                try (var files = Files.list(dir)) {
                    assertEquals(List.of("f"), files.map(p -> p.getFileName().toString()).toList(), "no scratch file left beside the output");
                }
            });
        }
        org.junit.jupiter.api.Assertions.assertArrayEquals(out[0], out[1]);
    }

    /**
     * Whether the activations stay in the heap, go to the scratch file from the start, or move there when a module in
     * the middle of the first batch exceeds the budget, every space gets the same features and join magnitudes.
     */
    @Test
    void activationsMovedToTheScratchFileMidwayAreTheSame() throws Exception {
        Path a = TinyModels.write(tmp.resolve("a"), PermuteRecoverTest.vitCfg(), 3, 0.2);
        Path b = TinyModels.write(tmp.resolve("b"), PermuteRecoverTest.vitCfg(), 4, 0.2);
        FusionOptions o = FusionOptions.preset("official");
        o.align = "activations";
        o.data = "random";
        o.samples = 9;
        o.tokens = "window-2";
        try (Checkpoint ca = Checkpoint.open(a); Checkpoint cb = Checkpoint.open(b)) {
            List<Checkpoint> models = List.of(ca, cb);
            Plan plan = Executor.planFor(models, o);
            List<float[]> want = null;
            // all in the heap, all in the file, moved after the first ten modules of the first batch
            long[] budgets = {Long.MAX_VALUE, -1, 200_000};
            for (int i = 0; i < budgets.length; i++) {
                Path scratch = tmp.resolve("scratch-" + i);
                List<float[]> got = new java.util.ArrayList<>();
                try (Activations acts = Activations.collect(models, o, plan, new TinyActivationSource(), scratch, budgets[i])) {
                    assertEquals(i > 0, Files.exists(scratch), "budget " + budgets[i]);
                    for (Plan.Space sp : plan.spaces()) {
                        if (sp.rule() == Plan.Rule.JOIN) {
                            for (double[] g : acts.joinMagnitudes(sp, true)) got.add(toFloats(g));
                        } else {
                            GroundMetric.Features[] f = acts.features(sp, 1, 0);
                            if (f != null) for (GroundMetric.Features x : f) got.add(x.x());
                        }
                    }
                }
                assertFalse(Files.exists(scratch), "the scratch file goes with the activations");
                if (want == null) want = got;
                assertEquals(want.size(), got.size());
                for (int j = 0; j < want.size(); j++) org.junit.jupiter.api.Assertions.assertArrayEquals(want.get(j), got.get(j), "budget " + budgets[i]);
            }
        }
    }

    private static float[] toFloats(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }

    @Test
    void windowsOfAnyGrid() {
        // the reference's window_6 on its 8 x 8 grid: cls + rows/cols 1..6 = 37 tokens
        int kept = 0;
        for (int t = 0; t < 65; t++) if (Activations.keepToken("window-6", t, 65, 8, false)) kept++;
        assertEquals(37, kept);
        kept = 0;
        for (int t = 0; t < 65; t++) if (Activations.keepToken("window-2", t, 65, 8, false)) kept++;
        assertEquals(5, kept);
        assertTrue(Activations.keepToken("window-2", 1 + 3 * 8 + 3, 65, 8, false));
        assertFalse(Activations.keepToken("window-2", 1 + 2 * 8 + 3, 65, 8, false));
        kept = 0;
        for (int t = 0; t < 50; t++) if (Activations.keepToken("window-3", t, 50, 7, false)) kept++;
        assertEquals(10, kept); // 7 x 7 grid: cls + 3 x 3
        assertFalse(Activations.keepToken("all", 5, 65, 8, true)); // cls only on the last layer
    }
}
