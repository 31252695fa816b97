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

    /** Activations spilled to a scratch file give the same fused bytes as activations kept in the heap, and the file goes. */
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
