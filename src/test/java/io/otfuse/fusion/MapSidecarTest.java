package io.otfuse.fusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.otfuse.io.Checkpoint;
import io.otfuse.report.Downsample;
import io.otfuse.report.FusionMaps;
import io.otfuse.report.FusionReportView;
import io.otfuse.report.HtmlReport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code otfuse fuse} writes fusion-maps.json; a permuted copy shows up as its permutation, downsampled in blocks. */
class MapSidecarTest {
    @TempDir
    Path tmp;

    @Test
    void permutedCopyShowsItsPermutationInTheSidecarAndTheReport() throws Exception {
        // MLP 300 > 128: that map is downsampled to 100 x 100 blocks of 3 x 3; hidden 48 is kept whole
        Path a = TinyModels.write(tmp.resolve("a"), TinyModels.vit(48, 3, 300, 2, 12, 4), 11, 0.2);
        Permuter.permute(a, 5, tmp.resolve("p"), false);
        FusionOptions o = FusionOptions.preset("default");
        o.align = "weights";
        o.solver = "emd";
        Path out = tmp.resolve("f");
        Fusion.fuse(List.of(a, tmp.resolve("p")), o, out, false, null, null);

        List<FusionMaps.Entry> maps = FusionMaps.read(out.resolve(FusionMaps.FILE));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> spaces = (List<Map<String, Object>>) Fusion.JSON.readValue(out.resolve(Fusion.REPORT).toFile(), Map.class).get("spaces");
        Set<String> reported = new HashSet<>();
        for (Map<String, Object> s : spaces) reported.add(s.get("space") + "/" + s.get("model"));
        Set<String> inSidecar = new HashSet<>();
        for (FusionMaps.Entry e : maps) assertTrue(inSidecar.add(e.space() + "/" + e.model()), "one entry per space and model: " + e.space());
        assertEquals(reported, inSidecar, "every space of the report, for the non-anchor model");

        Map<String, FusionMaps.Entry> bySpace = new HashMap<>();
        for (FusionMaps.Entry e : maps) {
            assertEquals(1, e.model());
            assertTrue(e.rows() <= 128 && e.cols() <= 128, e.space());
            bySpace.put(e.space(), e);
        }
        try (Checkpoint ca = Checkpoint.open(a); Checkpoint cp = Checkpoint.open(tmp.resolve("p"))) {
            // the permutation of layer 0's MLP units, read off the biases (distinct random values)
            int[] mlp = matchByValue(cp.readFloats("vit.encoder.layer.0.intermediate.dense.bias"), ca.readFloats("vit.encoder.layer.0.intermediate.dense.bias"));
            FusionMaps.Entry e = bySpace.get("mlp@0");
            assertNotNull(e);
            assertEquals(300, e.n());
            assertEquals(100, e.rows());
            assertEquals(100, e.cols());
            double[][] want = Downsample.blockMean(permutationPlan(mlp), 300, 300, 128);
            double mass = 0;
            for (int i = 0; i < 100; i++) {
                for (int j = 0; j < 100; j++) {
                    assertEquals(want[i][j], e.values()[i][j], 1e-9, "block (" + i + ", " + j + ")");
                    mass += e.values()[i][j] * 9;
                }
            }
            assertEquals(1.0, mass, 1e-5);
            assertTrue(countNonZero(want) <= 300 && countNonZero(want) >= 100, "a scattered block pattern, not a smear");

            // the residual stream (48 wide, kept whole): exactly the permutation, 1/48 on one cell per row
            int[] stream = matchByValue(cp.readFloats("vit.layernorm.bias"), ca.readFloats("vit.layernorm.bias"));
            FusionMaps.Entry s = bySpace.get(Planner.STREAM);
            assertNotNull(s);
            assertEquals(48, s.rows());
            for (int i = 0; i < 48; i++) for (int j = 0; j < 48; j++) assertEquals(j == stream[i] ? 1.0 / 48 : 0, s.values()[i][j], 1e-9);
        }

        FusionReportView view = FusionReportView.read(out.resolve(Fusion.REPORT));
        assertEquals(maps.size(), view.maps().size());
        HtmlReport.Builder b = HtmlReport.builder();
        String html = view.addTo(b, "Fusion").build();
        assertTrue(html.contains("Transport maps"));
        assertTrue(html.contains("Showing " + Math.min(8, maps.size()) + " of " + maps.size()), "heatmaps picked from the sidecar");
        assertEquals(1 + Math.min(8, maps.size()), b.images(), "cost chart and heatmaps");
        HtmlReport.Builder all = HtmlReport.builder();
        String full = view.addTo(all, "Fusion", maps.size(), HtmlReport.DEFAULT_MAX_SIDE).build();
        assertTrue(full.contains("mlp@0, model 1"), "the MLP heatmap is drawn");
        assertEquals(1 + maps.size(), all.images());
        assertTrue(Files.size(out.resolve(FusionMaps.FILE)) < 1_000_000);
    }

    /** perm[i] = the index j of {@code anchor} holding the value of {@code model[i]}. */
    static int[] matchByValue(float[] model, float[] anchor) {
        int[] perm = new int[model.length];
        for (int i = 0; i < model.length; i++) {
            perm[i] = -1;
            for (int j = 0; j < anchor.length; j++) if (anchor[j] == model[i]) perm[i] = j;
            assertTrue(perm[i] >= 0, "value of neuron " + i + " not in the anchor");
        }
        return perm;
    }

    static double[] permutationPlan(int[] perm) {
        int n = perm.length;
        double[] p = new double[n * n];
        for (int i = 0; i < n; i++) p[i * n + perm[i]] = 1.0 / n;
        return p;
    }

    static int countNonZero(double[][] x) {
        int c = 0;
        for (double[] r : x) for (double v : r) if (v != 0) c++;
        return c;
    }
}
