package io.otfuse.report;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A report with every kind of section, on made-up numbers and the fusion engine's report with a map sidecar. */
final class SampleReport {
    private SampleReport() {}

    static HtmlReport.Builder build(Path fusionDir) throws Exception {
        Files.createDirectories(fusionDir);
        Files.copy(FusionReportViewTest.resource("fusion-report.json"), fusionDir.resolve(FusionReportView.FILE),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        FusionMaps.write(fusionDir.resolve(FusionMaps.FILE), List.of(
                FusionMaps.Entry.of("stream", 1, FusionReportViewTest.noisyPermutation(768, 1), 768, 768, 128),
                FusionMaps.Entry.of("mlp@0", 1, FusionReportViewTest.noisyPermutation(3072, 2), 3072, 3072, 128)));

        HtmlReport.Builder b = HtmlReport.builder().title("otfuse demo: ViT on Fashion-MNIST <test & check>");
        b.paragraph("Two ViT parents trained with different seeds, fused by vanilla averaging and by optimal transport.");
        b.heading("Results");
        List<ResultSections.ModelResult> results = List.of(
                new ResultSections.ModelResult("parent A (seed 1)", 0.8712, Double.NaN, 95.2),
                new ResultSections.ModelResult("parent B (seed 2)", 0.8690, Double.NaN, 94.8),
                new ResultSections.ModelResult("vanilla average", 0.1423, 0.8102, 0.4),
                new ResultSections.ModelResult("OT soft (activations)", 0.6531, 0.8801, 12.7));
        ResultSections.resultsTable(b, "Test accuracy", "accuracy", true, results);
        ResultSections.resultsChart(b, "Test accuracy per model", "accuracy", true, results);
        Map<String, double[][]> sweep = new LinkedHashMap<>();
        sweep.put("OT soft, weights", new double[][] {{0.001, 0.01, 0.03, 0.1, 0.3, 1}, {0.52, 0.55, 0.58, 0.61, 0.44, 0.2}});
        sweep.put("OT soft, activations", new double[][] {{0.001, 0.01, 0.03, 0.1, 0.3, 1}, {0.58, 0.62, 0.65, 0.63, 0.5, 0.25}});
        ResultSections.lambdaSweep(b, "One-shot accuracy vs \u03bb", "test accuracy", sweep, Map.of("vanilla", 0.1423, "OT hard (EMD)", 0.57));
        Map<String, TrainingCurve> curves = new LinkedHashMap<>();
        curves.put("OT fused", curve(0.65, 0.88, 1.1, 0.35));
        curves.put("vanilla", curve(0.14, 0.81, 2.2, 0.55));
        curves.put("parent A, trained further", curve(0.87, 0.875, 0.37, 0.36));
        ResultSections.finetuneCurves(b, "Finetuning", curves, List.of("test_accuracy", "test_loss"));
        FusionReportView.read(fusionDir).addTo(b, "Fusion: OT soft from weights");
        return b;
    }

    private static TrainingCurve curve(double a0, double a1, double l0, double l1) {
        int n = 6;
        double[] e = new double[n], acc = new double[n], loss = new double[n];
        for (int i = 0; i < n; i++) {
            e[i] = i;
            double f = 1 - Math.exp(-i / 1.5);
            acc[i] = a0 + (a1 - a0) * f;
            loss[i] = l0 + (l1 - l0) * f;
        }
        return new TrainingCurve(e, Map.of("test_accuracy", acc, "test_loss", loss));
    }
}
