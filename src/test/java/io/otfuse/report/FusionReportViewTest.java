package io.otfuse.report;

import io.otfuse.io.OtfuseException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FusionReportViewTest {
    /** A report written by the fusion engine (two 2-layer ViTs with hidden 768, Sinkhorn from weights). */
    static Path resource(String name) throws Exception {
        return Path.of(FusionReportViewTest.class.getResource("/report/" + name).toURI());
    }

    /** A noisy permutation plan, row-major n x m with mass 1. */
    static double[] noisyPermutation(int n, long seed) {
        Random r = new Random(seed);
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) perm[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1), t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        double[] p = new double[n * n];
        for (int i = 0; i < n; i++) {
            p[i * n + perm[i]] = 0.9 / n;
            p[i * n + (perm[i] + 1) % n] += 0.1 / n;
        }
        return p;
    }

    @Test
    void readsTheEngineReport() throws Exception {
        FusionReportView v = FusionReportView.read(resource("fusion-report.json"));
        assertEquals(4, v.spaces().size());
        FusionReportView.Space s = v.spaces().get(3);
        assertEquals("mlp@0", s.space());
        assertEquals(1, s.model());
        assertEquals("sinkhorn(0.06)", s.solver());
        assertEquals(3072, s.n());
        assertEquals(0.37964522837258974, s.costBefore());
        assertEquals(0.3790301289804272, s.costAfter());
        assertEquals(11, s.iterations());
        assertEquals(List.of("cls", "pos", "patch", "stream@0", "ao@0", "mid@0", "fo@0", "stream@1"), v.spaces().get(0).members());
        assertTrue(v.maps().isEmpty());

        HtmlReport.Builder b = HtmlReport.builder().title("fusion");
        v.addTo(b, "Fusion");
        String html = b.build();
        assertEquals(1, b.images(), "one cost chart, no maps");
        assertTrue(html.contains("<td>mlp@0</td>") && html.contains("sinkhorn(0.06)") && html.contains("3072 \u00d7 3072"));
        assertTrue(html.contains("Transport maps: not in this report"));
        assertEquals(1, ChartsTest.images(html).size());
    }

    @Test
    void joinsHeadsWarningsAndMissingFields() {
        String json = """
                {"family":"bert","models":["a","b","c"],"anchor":0,"notes":["cls map from the stream"],"spaces":[
                 {"space":"q@0","model":1,"rule":"solve","solver":"emd","n":48,"m":48,"cost_before":1.0,"cost_after":0.25,
                  "iterations":30,"entropy":3.8,"marginal_error":0,"time_ms":2,"head_match":[2,0,1]},
                 {"space":"q@0","model":2,"rule":"solve","solver":"emd","n":64,"m":48,"cost_after":0.5,
                  "head_aware":"skipped: 4 heads of 16 vs 3 heads of 16","warning":"not converged"},
                 {"space":"stream@1","model":1,"rule":"join(mean)","inputs":["stream@0","ao@0"],"n":48,"m":48,"entropy":3.5}]}
                """;
        FusionReportView v;
        try {
            v = FusionReportView.of(new com.fasterxml.jackson.databind.ObjectMapper().readTree(json), List.of());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        assertEquals(0.75, v.spaces().get(0).reduction(), 1e-12);
        assertTrue(Double.isNaN(v.spaces().get(1).reduction()));
        assertEquals("heads matched [2, 0, 1]", v.spaces().get(0).headAware());
        assertEquals("", v.spaces().get(2).solver(), "joins have no solver");
        HtmlReport.Builder b = HtmlReport.builder();
        String html = v.addTo(b, "BERT fusion").build();
        assertEquals(2, b.images(), "one cost chart per aligned model");
        assertTrue(html.contains("75.0 %"));
        assertTrue(html.contains("joins stream@0, ao@0"));
        assertTrue(html.contains("warning: not converged"));
        assertTrue(html.contains("Note: cls map from the stream"));
        assertTrue(html.contains("64 \u00d7 48"));
    }

    @Test
    void sidecarRoundTripAndHeatmaps(@TempDir Path dir) throws Exception {
        Files.copy(resource("fusion-report.json"), dir.resolve(FusionReportView.FILE));
        double[] p = noisyPermutation(768, 1);
        FusionMaps.Entry e = FusionMaps.Entry.of("v@0", 1, p, 768, 768, 128);
        assertEquals(128, e.rows());
        FusionMaps.write(dir.resolve(FusionMaps.FILE), List.of(e, FusionMaps.Entry.of("mlp@0", 1, new double[] {0.5, 0, 0, 0.5}, 2, 2, 128)));
        FusionReportView v = FusionReportView.read(dir);
        assertEquals(2, v.maps().size());
        FusionMaps.Entry back = v.maps().get(0);
        assertEquals("v@0", back.space());
        assertEquals(768, back.n());
        for (int i = 0; i < 128; i++) {
            for (int j = 0; j < 128; j++) assertEquals(e.values()[i][j], back.values()[i][j], Math.ulp((float) e.values()[i][j]), "float32 round trip");
        }
        HtmlReport.Builder b = HtmlReport.builder();
        String html = v.addTo(b, "Fusion").build();
        assertEquals(3, b.images(), "cost chart and two heatmaps");
        assertTrue(html.contains("Showing 2 of 2"));
        assertEquals(3, ChartsTest.images(html).size());

        // values as plain JSON rows
        Files.writeString(dir.resolve(FusionMaps.FILE), """
                {"maps":[{"space":"s","model":1,"n":2,"m":3,"values":[[0.1,0.2,0.3],[0.4,0.5,0.6]]}]}""");
        FusionMaps.Entry plain = FusionReportView.read(dir.resolve(FusionReportView.FILE)).maps().get(0);
        assertArrayEquals(new double[] {0.4, 0.5, 0.6}, plain.values()[1]);
        assertEquals(3, plain.m());
    }

    @Test
    void malformedFilesGiveOneLineErrors(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("fusion-report.json");
        Files.writeString(f, "{\"family\":\"vit\"}");
        OtfuseException e = assertThrows(OtfuseException.class, () -> FusionReportView.read(f));
        assertTrue(e.getMessage().contains("no \"spaces\" array"), e.getMessage());
        Files.writeString(f, "{not json");
        e = assertThrows(OtfuseException.class, () -> FusionReportView.read(dir));
        assertTrue(e.getMessage().startsWith(f.toString()) && !e.getMessage().contains("\n"), e.getMessage());
        Files.copy(resource("fusion-report.json"), f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(dir.resolve(FusionMaps.FILE), "{\"maps\":[{\"rows\":2,\"cols\":2,\"values\":\"AAAA\"}]}");
        e = assertThrows(OtfuseException.class, () -> FusionReportView.read(dir));
        assertTrue(e.getMessage().contains("3 bytes of values for 2 x 2"), e.getMessage());
    }

    @Test
    void heatmapCellsAreRowShares() {
        // 5 x 5 permutation-like plan (mass 1) into blocks of 2: rows {0,1}, {2,3}, {4}
        int[] perm = {1, 0, 4, 2, 3};
        double[] p = new double[25];
        for (int i = 0; i < 5; i++) p[i * 5 + perm[i]] = 0.2;
        double[][] s = FusionReportView.rowShares(FusionMaps.Entry.of("s", 1, p, 5, 5, 3));
        assertArrayEquals(new double[] {1, 0, 0}, s[0], 1e-12);
        assertArrayEquals(new double[] {0, 0.5, 0.5}, s[1], 1e-12);
        assertArrayEquals(new double[] {0, 1, 0}, s[2], 1e-12);
        double[][] r = FusionReportView.rowShares(FusionMaps.Entry.of("r", 1, FusionReportViewTest.noisyPermutation(300, 3), 300, 300, 128));
        for (double[] row : r) assertEquals(1.0, java.util.Arrays.stream(row).sum(), 1e-9);
    }

    @Test
    void picksEvenlyIncludingFirstAndLast() {
        List<Integer> all = List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        assertEquals(List.of(0, 3, 6, 9), FusionReportView.pick(all, 4));
        assertEquals(all, FusionReportView.pick(all, 20));
        assertEquals(List.of(0), FusionReportView.pick(all, 1));
        assertEquals(List.of(), FusionReportView.pick(all, 0));
    }
}
