package io.otfuse.report;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Sections that {@code otfuse demo} and {@code otfuse reproduce} put in their reports. */
public final class ResultSections {
    private ResultSections() {}

    /** One row of the results table; NaN where not measured (e.g. no finetune). */
    public record ModelResult(String model, double oneShot, double afterFinetune, double seconds) {}

    /** A table: model, one-shot accuracy, after finetune, time; accuracies in percent when {@code percent}. */
    public static HtmlReport.Builder resultsTable(HtmlReport.Builder b, String caption, String metric, boolean percent, List<ModelResult> results) {
        List<List<?>> rows = new ArrayList<>();
        for (ModelResult r : results) {
            rows.add(Arrays.asList(r.model(), scale(r.oneShot(), percent), scale(r.afterFinetune(), percent), r.seconds()));
        }
        String unit = percent ? " (%)" : "";
        return b.table(caption, List.of("model", metric + " one-shot" + unit, metric + " after finetune" + unit, "time (s)"), rows);
    }

    /** The results table as grouped bars per model: one-shot and after finetune (missing values left out). */
    public static HtmlReport.Builder resultsChart(HtmlReport.Builder b, String title, String metric, boolean percent, List<ModelResult> results) {
        List<String> models = new ArrayList<>();
        double[] one = new double[results.size()], fine = new double[results.size()];
        for (int i = 0; i < results.size(); i++) {
            models.add(results.get(i).model());
            one[i] = scale(results.get(i).oneShot(), percent);
            fine[i] = scale(results.get(i).afterFinetune(), percent);
        }
        Map<String, double[]> series = new LinkedHashMap<>();
        series.put("one-shot", one);
        series.put("after finetune", fine);
        return b.barChart(title, metric + (percent ? " (%)" : ""), models, series);
    }

    private static double scale(double v, boolean percent) {
        return percent && Double.isFinite(v) ? Math.round(v * 1e4) / 1e2 : v;
    }

    /**
     * One-shot metric vs the Sinkhorn regularisation λ on a log axis; each series maps its name (e.g. "OT soft,
     * activations") to {@code {lambdas, values}}. Optional horizontal references (e.g. "OT hard (EMD)", "vanilla")
     * are drawn as flat lines over the swept range.
     */
    public static HtmlReport.Builder lambdaSweep(HtmlReport.Builder b, String title, String yLabel, Map<String, double[][]> series,
                                                 Map<String, Double> references) {
        Map<String, double[][]> all = new LinkedHashMap<>(series);
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (double[][] xy : series.values()) {
            for (double x : xy[0]) {
                if (x > 0 && Double.isFinite(x)) {
                    lo = Math.min(lo, x);
                    hi = Math.max(hi, x);
                }
            }
        }
        if (lo <= hi) {
            for (Map.Entry<String, Double> r : references.entrySet()) {
                all.put(r.getKey(), new double[][] {{lo, hi}, {r.getValue(), r.getValue()}});
            }
        }
        return b.lineChart(title, "Sinkhorn regularisation \u03bb (log scale)", yLabel, true, all);
    }

    /**
     * One chart per metric (in the order given), each with one line per model (or run): e.g. metrics
     * {@code test_accuracy}, {@code test_loss}. Models lacking a metric are left out of its chart.
     */
    public static HtmlReport.Builder finetuneCurves(HtmlReport.Builder b, String title, Map<String, TrainingCurve> curves, List<String> metrics) {
        for (String metric : metrics) {
            Map<String, double[][]> series = new LinkedHashMap<>();
            for (Map.Entry<String, TrainingCurve> e : curves.entrySet()) {
                double[] v = e.getValue().metric(metric);
                if (v != null) series.put(e.getKey(), new double[][] {e.getValue().epochs(), v});
            }
            b.lineChart(title + ": " + metric.replace('_', ' '), "epoch", metric.replace('_', ' '), false, series);
        }
        return b;
    }
}
