package io.otfuse.reproduce;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.otfuse.io.AtomicFiles;
import io.otfuse.report.Charts;
import io.otfuse.report.FusionReportView;
import io.otfuse.report.HtmlReport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** Turns the stored step results of {@link VitStudy} into results.json, RESULTS.md and report.html. */
final class VitReport {
    private final VitStudy.Options o;
    private final VitStudy.Settings s;
    private final Steps steps;
    private final List<long[]> pairs;
    private final ObjectNode claims = Steps.JSON.createObjectNode();

    VitReport(VitStudy.Options o, Steps steps, List<long[]> pairs) {
        this.o = o;
        this.s = o.settings();
        this.steps = steps;
        this.pairs = pairs;
    }

    private ObjectNode get(String id) {
        ObjectNode n = steps.stored(id);
        return n == null ? Steps.JSON.createObjectNode() : n;
    }

    private double acc(String id) {
        JsonNode a = get(id).path("accuracy");
        return a.isNumber() ? a.asDouble() : Double.NaN;
    }

    static String pct(double a) {
        return Double.isFinite(a) ? String.format("%.2f %%", 100 * a) : "—";
    }

    static String pts(double d) {
        return Double.isFinite(d) ? String.format("%+.2f", 100 * d) : "—";
    }

    private static double mean(double... v) {
        double t = 0;
        int n = 0;
        for (double x : v) {
            if (Double.isFinite(x)) {
                t += x;
                n++;
            }
        }
        return n == 0 ? Double.NaN : t / n;
    }

    ObjectNode write(double totalSeconds) {
        StudyDoc d = new StudyDoc("Reproduce: ViT on Fashion-MNIST (" + (s.quick ? "quick" : "full") + " study)");
        String cmd = "./otfuse reproduce vit --out " + o.out() + (s.quick ? " --quick" : "") + (o.parents() != null ? " --parents " + o.parents() : "");
        d.code(cmd);
        d.para(String.format("Parents: ViT hidden %d, %d layers, %d heads, MLP %d, patch %d; %d epochs, batch %d, lr %s (%.0f %% warm-up, cosine), weight decay %s, "
                        + "label smoothing %s, ±%d px crops, on %s training images; every accuracy on %s test images. Recipe key `%s` (folders `%s-seed<S>`). "
                        + "Finetuning: %s epochs (%.0f %% of the parents' budget), lr %s, %s schedule, %.0f %% warm-up. Activation samples: %d. Total time of this run "
                        + "(steps done earlier not counted): %.0f s.", s.hidden, s.layers, s.heads, s.mlp, s.patch, s.epochs, s.batch, s.lr, 100 * s.warmup,
                s.weightDecay, s.labelSmoothing, s.cropPad, s.limit == 0 ? "all 60 000" : String.valueOf(s.limit), s.evalLimit == 0 ? "all 10 000" : String.valueOf(s.evalLimit),
                s.parentName, s.parentName, s.budget, 100 * s.budget / s.epochs, s.ftLr, s.ftSchedule, 100 * s.ftWarmup, s.samples, totalSeconds));
        parents(d);
        oneShot(d);
        ablations(d);
        finetune(d);
        recipes(d);
        multi(d);
        hetero(d);
        claimsSection(d);
        fusionReports(d);

        ObjectNode res = Steps.JSON.createObjectNode();
        res.put("study", "vit").put("quick", s.quick).put("command", cmd).put("total_seconds", totalSeconds);
        res.set("settings", s.toJson());
        res.set("claims", claims);
        ObjectNode st = res.putObject("steps");
        for (String id : storedIds()) st.set(id, get(id));
        ObjectNode tables = res.putObject("tables");
        for (StudyDoc.Table t : d.tables()) {
            ObjectNode tn = tables.putObject(t.id());
            tn.put("caption", t.caption());
            tn.set("headers", Steps.JSON.valueToTree(t.headers()));
            tn.set("rows", Steps.JSON.valueToTree(t.rows()));
        }
        AtomicFiles.writeString(o.out().resolve("results.json"), res.toPrettyString() + "\n");
        d.writePlots(o.out().resolve("plots"));
        AtomicFiles.writeString(o.out().resolve("RESULTS.md"), d.markdown("plots/"));
        d.writeHtml(o.out().resolve("report.html"));
        o.log().printf("wrote %s, %s, %s and plots/%n", o.out().resolve("results.json"), o.out().resolve("RESULTS.md"), o.out().resolve("report.html"));
        return res;
    }

    private List<String> storedIds() {
        try (Stream<Path> f = Files.list(o.out().resolve("steps"))) {
            return f.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".json")).map(n -> n.substring(0, n.length() - 5)).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    // ---------------------------------------------------------------- sections

    private void parents(StudyDoc d) {
        d.heading("1. Parents");
        List<List<String>> rows = new ArrayList<>();
        Map<String, double[][]> curves = new LinkedHashMap<>();
        List<String> ids = new ArrayList<>();
        for (long seed = 1; seed <= s.seeds; seed++) ids.add("parent-seed" + seed);
        ids.add("narrow");
        for (String id : ids) {
            ObjectNode p = get(id);
            JsonNode c = p.path("curve");
            rows.add(List.of(p.path("name").asText(id), pct(acc(id)), String.format("%.3f", p.path("loss").asDouble(Double.NaN)), String.valueOf(p.path("params").asLong()),
                    String.valueOf(c.path("epochs").size()), String.format("%.1f min", p.path("train_seconds").asDouble(Double.NaN) / 60), p.path("source").asText()));
            if (c.has("epochs")) curves.put(p.path("name").asText(id), Models.curveXY(c, "test_accuracy"));
        }
        d.table("parents", "Parents (test accuracy after the last epoch)", List.of("parent", "test accuracy", "test loss", "parameters", "epochs",
                "training time", "source"), rows);
        d.chart("parent-curves", "Parents: test accuracy per epoch", Charts.line("Parents: test accuracy per epoch", "epoch", "test accuracy (%)", false, curves));
        double self = acc("sanity-self-vanilla"), selfOt = acc("sanity-self-ot"), p1 = acc("parent-seed1");
        d.para(String.format("Sanity: parent 1 averaged with itself gives %s and OT-fused with itself (EMD from weights) %s; parent 1 alone %s.", pct(self), pct(selfOt), pct(p1)));
        claims.putObject("sanity").put("parent1", p1).put("self_vanilla", self).put("self_ot", selfOt);
    }

    private List<String> variants() {
        List<String> v = new ArrayList<>(VitStudy.DESCRIPTIONS.keySet());
        v.sort((a, b) -> Integer.compare(ORDER.indexOf(a), ORDER.indexOf(b)));
        return v;
    }

    private static final List<String> ORDER = List.of("vanilla", "ot-hard-weights", "ot-soft-weights", "ot-hard-acts", "ot-soft-acts", "official-acts");

    private String label(String v) {
        String d = VitStudy.DESCRIPTIONS.get(v);
        if (v.equals("ot-soft-weights")) d += " \u03bb " + s.regWeights;
        if (v.equals("ot-soft-acts")) d += " \u03bb " + s.regActs;
        return d;
    }

    private List<String> pairHeaders(String first) {
        List<String> h = new ArrayList<>();
        h.add(first);
        for (long[] p : pairs) h.add("pair (" + p[0] + "," + p[1] + ")");
        h.add("mean");
        return h;
    }

    private List<String> pairRow(String label, java.util.function.Function<long[], Double> f) {
        List<String> r = new ArrayList<>();
        r.add(label);
        double[] v = new double[pairs.size()];
        for (int i = 0; i < pairs.size(); i++) {
            v[i] = f.apply(pairs.get(i));
            r.add(pct(v[i]));
        }
        r.add(pct(mean(v)));
        return r;
    }

    private double meanOver(java.util.function.Function<long[], Double> f) {
        double[] v = new double[pairs.size()];
        for (int i = 0; i < v.length; i++) v[i] = f.apply(pairs.get(i));
        return mean(v);
    }

    private void oneShot(StudyDoc d) {
        d.heading("2. One-shot fusion");
        d.para("Each pair fuses the second parent onto the first (the anchor) with equal weights; `default` preset (shared residual stream, shared Q/K, "
                + "head-aware matching) unless stated; no finetuning.");
        List<List<String>> rows = new ArrayList<>();
        rows.add(pairRow("parent A (anchor)", p -> acc("parent-seed" + p[0])));
        rows.add(pairRow("parent B", p -> acc("parent-seed" + p[1])));
        for (String v : variants()) rows.add(pairRow(label(v), p -> acc("oneshot-" + VitStudy.pairId(p) + "-" + v)));
        rows.add(pairRow("output ensemble (averaged logits, upper reference)", p -> acc("oneshot-" + VitStudy.pairId(p) + "-ensemble")));
        d.table("oneshot", "One-shot test accuracy", pairHeaders("model"), rows);
        List<String> cats = new ArrayList<>();
        Map<String, double[]> series = new LinkedHashMap<>();
        for (long[] p : pairs) series.put("pair (" + p[0] + "," + p[1] + ")", new double[variants().size() + 1]);
        int i = 0;
        for (String v : variants()) {
            cats.add(v);
            for (long[] p : pairs) series.get("pair (" + p[0] + "," + p[1] + ")")[i] = 100 * acc("oneshot-" + VitStudy.pairId(p) + "-" + v);
            i++;
        }
        cats.add("ensemble");
        for (long[] p : pairs) series.get("pair (" + p[0] + "," + p[1] + ")")[i] = 100 * acc("oneshot-" + VitStudy.pairId(p) + "-ensemble");
        d.chart("oneshot", "One-shot test accuracy", Charts.bar("One-shot test accuracy", "test accuracy (%)", cats, series));

        ObjectNode c = claims.putObject("one_shot");
        double van = meanOver(p -> acc("oneshot-" + VitStudy.pairId(p) + "-vanilla"));
        double bestOt = Double.NaN;
        String bestName = null;
        for (String v : variants()) {
            if (v.equals("vanilla")) continue;
            double m = meanOver(p -> acc("oneshot-" + VitStudy.pairId(p) + "-" + v));
            if (Double.isFinite(m) && !(m <= bestOt)) {
                bestOt = m;
                bestName = v;
            }
        }
        c.put("vanilla_mean", van).put("best_ot_mean", bestOt).put("best_ot", bestName).put("gain_points", 100 * (bestOt - van));
        double hardW = meanOver(p -> acc("oneshot-" + VitStudy.pairId(p) + "-ot-hard-weights")), softW = meanOver(p -> acc("oneshot-" + VitStudy.pairId(p) + "-ot-soft-weights"));
        double hardA = meanOver(p -> acc("oneshot-" + VitStudy.pairId(p) + "-ot-hard-acts")), softA = meanOver(p -> acc("oneshot-" + VitStudy.pairId(p) + "-ot-soft-acts"));
        c.put("soft_minus_hard_weights_points", 100 * (softW - hardW)).put("soft_minus_hard_acts_points", 100 * (softA - hardA));
        d.para(String.format("Mean over the pairs: vanilla %s, best OT (%s) %s: %s points.", pct(van), bestName, pct(bestOt), pts(bestOt - van)));
    }

    private void ablations(StudyDoc d) {
        d.heading("3. Ablations on pair (1,2)");
        String p = VitStudy.pairId(pairs.get(0));
        List<List<String>> rows = new ArrayList<>();
        double[] xs = s.lambdas.clone();
        double[] ya = new double[xs.length], yw = new double[xs.length];
        for (int i = 0; i < xs.length; i++) {
            ya[i] = acc("ablate-lambda-acts-" + xs[i]);
            yw[i] = acc("ablate-lambda-weights-" + xs[i]);
            rows.add(List.of(String.valueOf(xs[i]), pct(ya[i]), pct(yw[i])));
        }
        rows.add(List.of("EMD (hard)", pct(acc("oneshot-" + p + "-ot-hard-acts")), pct(acc("oneshot-" + p + "-ot-hard-weights"))));
        d.table("lambda", "Sinkhorn regularisation λ: one-shot test accuracy", List.of("λ", "from activations", "from weights"), rows);
        Map<String, double[][]> series = new LinkedHashMap<>();
        series.put("OT soft, activations", new double[][] {xs, scale(ya)});
        series.put("OT soft, weights", new double[][] {xs, scale(yw)});
        Map<String, Double> refs = new LinkedHashMap<>();
        refs.put("EMD, activations", 100 * acc("oneshot-" + p + "-ot-hard-acts"));
        refs.put("EMD, weights", 100 * acc("oneshot-" + p + "-ot-hard-weights"));
        refs.put("vanilla", 100 * acc("oneshot-" + p + "-vanilla"));
        Map<String, double[][]> all = new LinkedHashMap<>(series);
        for (Map.Entry<String, Double> r : refs.entrySet()) all.put(r.getKey(), new double[][] {{xs[0], xs[xs.length - 1]}, {r.getValue(), r.getValue()}});
        d.chart("lambda", "One-shot accuracy vs Sinkhorn λ (log scale)", Charts.line("One-shot accuracy vs Sinkhorn λ", "Sinkhorn regularisation λ (log scale)",
                "test accuracy (%)", true, all));
        double bestLam = Double.NaN, bestLamAcc = -1;
        for (int i = 0; i < xs.length; i++) if (ya[i] > bestLamAcc) {
            bestLamAcc = ya[i];
            bestLam = xs[i];
        }
        claims.putObject("lambda").put("best_lambda_acts", bestLam).put("best_acc_acts", bestLamAcc).put("emd_acts", acc("oneshot-" + p + "-ot-hard-acts"));

        List<List<String>> ab = new ArrayList<>();
        ab.add(List.of("baseline", "default preset, activations, Sinkhorn λ " + s.regActs + ", " + s.samples + " samples, tokens all", pct(acc("oneshot-" + p + "-ot-soft-acts"))));
        for (String r : s.residuals) ab.add(row("residual policy (per-join topology)", r, "ablate-residual-" + r));
        for (String q : s.qkModes) ab.add(row("Q/K mode", q + (q.equals("joint") ? " (no head-aware)" : ""), "ablate-qk-" + q));
        ab.add(row("head-aware matching", "off (cross-head alignment)", "ablate-headaware-false"));
        for (String t : s.tokenFilters) ab.add(row("token filter", t, "ablate-tokens-" + t));
        for (int n : s.sampleCounts) ab.add(row("activation samples", String.valueOf(n), "ablate-samples-" + n));
        for (String a : s.actNorms) ab.add(row("activation normalisation", a, "ablate-actnorm-" + a));
        d.table("ablations", "Other options (one at a time, rest as the baseline)", List.of("option", "value", "one-shot accuracy"), ab);
        double[] sx = new double[s.sampleCounts.length], sy = new double[sx.length];
        for (int i = 0; i < sx.length; i++) {
            sx[i] = s.sampleCounts[i];
            sy[i] = 100 * acc("ablate-samples-" + s.sampleCounts[i]);
        }
        d.chart("samples", "One-shot accuracy vs activation samples", Charts.line("One-shot accuracy vs activation samples", "samples (log scale)", "test accuracy (%)",
                true, Map.of("OT soft, activations", new double[][] {sx, sy})));
    }

    private List<String> row(String option, String value, String id) {
        ObjectNode n = get(id);
        return List.of(option, value, n.has("accuracy") ? pct(n.get("accuracy").asDouble()) : (steps.stored(id) == null ? "not run" : "—"));
    }

    private static double[] scale(double[] a) {
        double[] r = new double[a.length];
        for (int i = 0; i < a.length; i++) r[i] = 100 * a[i];
        return r;
    }

    private double bestParentAcc(long[] p) {
        return Math.max(acc("parent-seed" + p[0]), acc("parent-seed" + p[1]));
    }

    private void finetune(StudyDoc d) {
        d.heading("4. Finetuning with an equal budget");
        d.para(String.format("Budget %s epochs (%.0f %% of the parents' %d), lr %s, %s. \"Parents trained further\" continue each parent with the same budget and "
                + "recipe, so a gain of the fused model is not just more training.", s.budget, 100 * s.budget / s.epochs, s.epochs, s.ftLr, s.ftSchedule));
        List<List<String>> rows = new ArrayList<>();
        rows.add(pairRow("best parent", this::bestParentAcc));
        rows.add(pairRow("mean of the two parents", p -> mean(acc("parent-seed" + p[0]), acc("parent-seed" + p[1]))));
        rows.add(pairRow("best parent trained further (+budget)", p -> Math.max(acc("further-seed" + p[0]), acc("further-seed" + p[1]))));
        rows.add(pairRow("mean parent trained further (+budget)", p -> mean(acc("further-seed" + p[0]), acc("further-seed" + p[1]))));
        rows.add(pairRow("output ensemble of the parents", p -> acc("oneshot-" + VitStudy.pairId(p) + "-ensemble")));
        rows.add(pairRow("vanilla fused, one-shot", p -> acc("oneshot-" + VitStudy.pairId(p) + "-vanilla")));
        rows.add(pairRow("vanilla fused + finetune", p -> acc("finetune-" + VitStudy.pairId(p) + "-vanilla")));
        rows.add(pairRow("OT fused (best one-shot variant), one-shot", p -> get("finetune-" + VitStudy.pairId(p) + "-ot").path("start_accuracy").asDouble(Double.NaN)));
        rows.add(pairRow("OT fused + finetune", p -> acc("finetune-" + VitStudy.pairId(p) + "-ot")));
        d.table("finetune", "Test accuracy; the OT variant finetuned per pair: "
                + String.join(", ", pairs.stream().map(p -> VitStudy.pairId(p) + " " + otFrom(p)).toList()), pairHeaders("model"), rows);
        long[] p = pairs.get(0);
        String pid = VitStudy.pairId(p);
        Map<String, double[][]> curves = new LinkedHashMap<>();
        addCurve(curves, "OT fused (" + otFrom(p) + ")", "finetune-" + pid + "-ot");
        addCurve(curves, "vanilla fused", "finetune-" + pid + "-vanilla");
        addCurve(curves, "parent " + p[0] + " further", "further-seed" + p[0]);
        addCurve(curves, "parent " + p[1] + " further", "further-seed" + p[1]);
        d.chart("finetune-curves", "Finetuning curves, pair (" + p[0] + "," + p[1] + ")", Charts.line("Finetuning, pair (" + p[0] + "," + p[1] + "): test accuracy",
                "finetuning epochs", "test accuracy (%)", false, curves));
        Map<String, double[][]> zoom = new LinkedHashMap<>();
        for (Map.Entry<String, double[][]> e : curves.entrySet()) {
            double[][] xy = e.getValue();
            List<double[]> keep = new ArrayList<>();
            for (int i = 0; i < xy[0].length; i++) if (xy[0][i] > 0) keep.add(new double[] {xy[0][i], xy[1][i]});
            zoom.put(e.getKey(), new double[][] {keep.stream().mapToDouble(a -> a[0]).toArray(), keep.stream().mapToDouble(a -> a[1]).toArray()});
        }
        zoom.put("best parent", new double[][] {{0.0, s.budget}, {100 * bestParentAcc(p), 100 * bestParentAcc(p)}});
        d.chart("finetune-curves-zoom", "Finetuning curves after the first evaluation, pair (" + p[0] + "," + p[1] + ")",
                Charts.line("Finetuning, pair (" + p[0] + "," + p[1] + "), without the one-shot point", "finetuning epochs", "test accuracy (%)", false, zoom));

        ObjectNode c = claims.putObject("finetune");
        double ot = meanOver(q -> acc("finetune-" + VitStudy.pairId(q) + "-ot")), van = meanOver(q -> acc("finetune-" + VitStudy.pairId(q) + "-vanilla"));
        double best = meanOver(this::bestParentAcc), bestFurther = meanOver(q -> Math.max(acc("further-seed" + q[0]), acc("further-seed" + q[1])));
        c.put("ot_finetuned_mean", ot).put("vanilla_finetuned_mean", van).put("best_parent_mean", best).put("best_parent_further_mean", bestFurther);
        c.put("ot_beats_best_parent", ot > best).put("ot_beats_best_parent_further", ot > bestFurther).put("ot_beats_vanilla", ot > van);
    }

    private String otFrom(long[] p) {
        String from = get("finetune-" + VitStudy.pairId(p) + "-ot").path("from").asText("");
        return from.isEmpty() ? "—" : from.substring(from.indexOf('-', "oneshot-".length()) + 1);
    }

    private void addCurve(Map<String, double[][]> curves, String name, String id) {
        JsonNode c = get(id).path("curve");
        if (c.has("epochs")) curves.put(name, Models.curveXY(c, "test_accuracy"));
    }

    private void recipes(StudyDoc d) {
        d.heading("4b. Finetuning recipes on pair (1,2)");
        long[] p = pairs.get(0);
        String pid = VitStudy.pairId(p);
        double best = bestParentAcc(p);
        List<List<String>> rows = new ArrayList<>();
        record R(String name, double budget, double lr, String schedule, String ot, String parent) {}
        List<R> rs = new ArrayList<>();
        String bp = acc("parent-seed" + p[0]) >= acc("parent-seed" + p[1]) ? "further-seed" + p[0] : "further-seed" + p[1];
        rs.add(new R("default", s.budget, s.ftLr, s.ftSchedule, "finetune-" + pid + "-ot", bp));
        for (VitStudy.Recipe r : s.recipes) rs.add(new R(r.name(), r.budget(), r.lr(), r.schedule(), "recipe-" + r.name() + "-ot", "recipe-" + r.name() + "-parent"));
        rs.sort((a, b) -> Double.compare(a.budget, b.budget));
        double smallest = Double.NaN, smallestFair = Double.NaN;
        Map<String, double[][]> curves = new LinkedHashMap<>();
        for (R r : rs) {
            double ot = acc(r.ot), par = acc(r.parent);
            rows.add(List.of(r.name, String.valueOf(r.budget), String.valueOf(r.lr), r.schedule, pct(ot), pct(par), pct(best), pts(ot - best), pts(ot - par)));
            if (ot > best && !(smallest <= r.budget)) smallest = r.budget;
            if (ot > par && !(smallestFair <= r.budget)) smallestFair = r.budget;
            addCurve(curves, r.name, r.ot);
        }
        d.table("recipes", "OT-fused model of pair (1,2) finetuned with several recipes, against its best parent (" + pct(best) + ") and that parent trained further with the same recipe",
                List.of("recipe", "budget (epochs)", "lr", "schedule", "OT fused + finetune", "best parent + same finetune", "best parent", "fused − best parent (points)",
                        "fused − best parent further (points)"), rows);
        curves.put("best parent", new double[][] {{0.0, rs.stream().mapToDouble(R::budget).max().orElse(1)}, {100 * best, 100 * best}});
        d.chart("recipe-curves", "OT-fused finetuning curves per recipe, pair (1,2)", Charts.line("OT fused, pair (1,2): finetuning recipes", "finetuning epochs",
                "test accuracy (%)", false, curves));
        String text = Double.isNaN(smallest) ? "In none of the recipes tried does the finetuned OT-fused model beat its best parent."
                : String.format("The smallest budget tried at which the finetuned OT-fused model beats its best parent is %s epochs (%.0f %% of a parent's budget).",
                smallest, 100 * smallest / s.epochs);
        text += Double.isNaN(smallestFair) ? " It does not beat the best parent trained further with the same recipe in any of them."
                : String.format(" Against the best parent trained further with the same recipe, the smallest such budget is %s epochs.", smallestFair);
        d.para(text);
        claims.putObject("recipes").put("smallest_budget_beating_best_parent", smallest).put("smallest_budget_beating_parent_further", smallestFair);
    }

    private void multi(StudyDoc d) {
        d.heading("5. Fusing N models");
        List<List<String>> rows = new ArrayList<>();
        List<Double> xs = new ArrayList<>();
        List<Double> van = new ArrayList<>(), ot = new ArrayList<>(), ens = new ArrayList<>();
        for (int n : s.ns) {
            if (n > s.seeds) continue;
            double[] pa = new double[n];
            for (int k = 0; k < n; k++) pa[k] = acc("parent-seed" + (k + 1));
            double bp = Arrays.stream(pa).max().orElse(Double.NaN);
            rows.add(List.of(String.valueOf(n), pct(mean(pa)), pct(bp), pct(acc("multi-n" + n + "-vanilla")), pct(acc("multi-n" + n + "-ot")),
                    pct(acc("multi-n" + n + "-ensemble"))));
            xs.add((double) n);
            van.add(100 * acc("multi-n" + n + "-vanilla"));
            ot.add(100 * acc("multi-n" + n + "-ot"));
            ens.add(100 * acc("multi-n" + n + "-ensemble"));
            claims.with("multi").put("n" + n + "_ot", acc("multi-n" + n + "-ot")).put("n" + n + "_vanilla", acc("multi-n" + n + "-vanilla"));
        }
        d.table("multi", "One-shot fusion of seeds 1..N (anchor seed 1; OT = default preset, activations, Sinkhorn λ " + s.regActs + ")",
                List.of("N", "mean parent", "best parent", "vanilla", "OT", "output ensemble"), rows);
        double[] x = xs.stream().mapToDouble(Double::doubleValue).toArray();
        Map<String, double[][]> series = new LinkedHashMap<>();
        series.put("OT", new double[][] {x, ot.stream().mapToDouble(Double::doubleValue).toArray()});
        series.put("vanilla", new double[][] {x, van.stream().mapToDouble(Double::doubleValue).toArray()});
        series.put("output ensemble", new double[][] {x, ens.stream().mapToDouble(Double::doubleValue).toArray()});
        d.chart("multi", "One-shot accuracy vs number of models", Charts.line("One-shot accuracy vs number of models fused", "N", "test accuracy (%)", false, series));
    }

    private void hetero(StudyDoc d) {
        d.heading("6. Heterogeneous fusion: compression into a narrower model");
        long[] p = pairs.get(0);
        ObjectNode n = get("narrow");
        d.para(String.format("Anchor: a narrow ViT (hidden %d, %d heads, MLP %d) trained from scratch with the parents' recipe (%s). Parents %d and %d (hidden %d) are "
                        + "aligned to it with OT (default preset, activations, Sinkhorn λ %s or EMD; head-aware matching falls back to cross-head alignment because the head counts "
                        + "differ) and averaged either without the anchor's own weights (\"wide\": weights 0, ½, ½, the anchor only gives the target coordinates) or "
                        + "with them (\"uniform\": ⅓ each). \"Narrow + budget\" is the narrow model trained further with the same finetuning budget, i.e. the narrow model "
                        + "from scratch with the same total budget as the fused-and-finetuned one.", s.narrowHidden, s.narrowHeads, s.narrowMlp, n.path("name").asText(),
                p[0], p[1], s.hidden, s.regActs));
        List<List<String>> rows = new ArrayList<>();
        Map<String, double[][]> pts = new LinkedHashMap<>();
        addPoint(rows, pts, "wide parent " + p[0], "parent-seed" + p[0], null);
        addPoint(rows, pts, "wide parent " + p[1], "parent-seed" + p[1], null);
        addPoint(rows, pts, "output ensemble of the wide parents", "oneshot-" + VitStudy.pairId(p) + "-ensemble", null);
        addPoint(rows, pts, "narrow from scratch", "narrow", "narrow-further");
        addPoint(rows, pts, "OT compressed (wide, Sinkhorn)", "hetero-ot-wide", "hetero-finetune-wide");
        addPoint(rows, pts, "OT compressed (uniform, Sinkhorn)", "hetero-ot-uniform", "hetero-finetune-uniform");
        addPoint(rows, pts, "OT compressed (wide, EMD)", "hetero-ot-wide-emd", "hetero-finetune-wide-emd");
        addPoint(rows, pts, "OT compressed (uniform, EMD)", "hetero-ot-uniform-emd", "hetero-finetune-uniform-emd");
        d.table("hetero", "Accuracy and size", List.of("model", "parameters", "test accuracy", "after finetune (+budget)"), rows);
        d.chart("hetero", "Accuracy vs parameter count", Charts.line("Accuracy vs parameter count", "parameters", "test accuracy (%)", false, pts));
        double bestCompressed = Double.NaN;
        for (String v : List.of("wide", "uniform", "wide-emd", "uniform-emd")) {
            double a = acc("hetero-finetune-" + v);
            if (Double.isFinite(a) && !(a <= bestCompressed)) bestCompressed = a;
        }
        claims.putObject("hetero").put("narrow_further", acc("narrow-further")).put("narrow", acc("narrow")).put("compressed_finetuned_best", bestCompressed)
                .put("compressed_wide_one_shot", acc("hetero-ot-wide")).put("compressed_uniform_one_shot", acc("hetero-ot-uniform"));
    }

    private void addPoint(List<List<String>> rows, Map<String, double[][]> pts, String name, String id, String ftId) {
        ObjectNode n = get(id);
        long params = n.path("params").asLong();
        double a = acc(id), f = ftId == null ? Double.NaN : acc(ftId);
        rows.add(List.of(name, String.valueOf(params), pct(a), ftId == null ? "" : pct(f)));
        if (params > 0) {
            pts.put(name, new double[][] {{params}, {100 * a}});
            if (ftId != null && Double.isFinite(f)) pts.put(name + " + finetune", new double[][] {{params}, {100 * f}});
        }
    }

    private void claimsSection(StudyDoc d) {
        d.heading("Claims of the paper: our numbers");
        List<List<String>> rows = new ArrayList<>();
        JsonNode c1 = claims.path("one_shot");
        double gain = c1.path("gain_points").asDouble(Double.NaN);
        rows.add(List.of("one-shot OT ≫ vanilla averaging", String.format("best OT (%s) %s vs vanilla %s: %+.1f points (mean over pairs)", c1.path("best_ot").asText(),
                pct(c1.path("best_ot_mean").asDouble(Double.NaN)), pct(c1.path("vanilla_mean").asDouble(Double.NaN)), gain),
                gain >= 10 ? "agrees (≥ 10 points)" : gain > 0 ? "weaker: OT above vanilla by < 10 points" : "differs"));
        JsonNode f = claims.path("finetune");
        double ot = f.path("ot_finetuned_mean").asDouble(Double.NaN), best = f.path("best_parent_mean").asDouble(Double.NaN),
                fur = f.path("best_parent_further_mean").asDouble(Double.NaN), van = f.path("vanilla_finetuned_mean").asDouble(Double.NaN);
        rows.add(List.of("finetuned fused model > parents", String.format("OT fused + %s epochs %s; best parent %s; best parent + same budget %s; vanilla + finetune %s "
                        + "(means over pairs)", s.budget, pct(ot), pct(best), pct(fur), pct(van)),
                ot > fur ? "agrees, even against the parents trained further" : ot > best ? "agrees against the parents, not against the parents trained further"
                        : "differs: the finetuned fused model stays below the best parent" + (ot > van ? " (it does beat finetuned vanilla averaging)" : "")));
        JsonNode c2 = claims.path("one_shot");
        double sw = c2.path("soft_minus_hard_weights_points").asDouble(Double.NaN), sa = c2.path("soft_minus_hard_acts_points").asDouble(Double.NaN);
        rows.add(List.of("soft alignment (Sinkhorn) matters", String.format("soft − hard: %+.1f points from weights, %+.1f from activations (means); best λ from activations %s",
                sw, sa, claims.path("lambda").path("best_lambda_acts").asText()), sw > 0 && sa > 0 ? "agrees" : sw > 0 || sa > 0 ? "partly" : "differs"));
        JsonNode h = claims.path("hetero");
        double hc = h.path("compressed_finetuned_best").asDouble(Double.NaN), hn = h.path("narrow_further").asDouble(Double.NaN);
        rows.add(List.of("heterogeneous fusion compresses", String.format("compressed + finetune %s vs narrow from scratch with the same total budget %s; one-shot %s (wide) / %s (uniform)",
                pct(hc), pct(hn), pct(h.path("compressed_wide_one_shot").asDouble(Double.NaN)), pct(h.path("compressed_uniform_one_shot").asDouble(Double.NaN))),
                hc > hn ? "agrees" : "differs: the narrow model trained from scratch is better"));
        JsonNode m = claims.path("multi");
        StringBuilder mb = new StringBuilder();
        boolean holds = true;
        for (int n : s.ns) {
            if (!m.has("n" + n + "_ot")) continue;
            double a = m.path("n" + n + "_ot").asDouble(), v = m.path("n" + n + "_vanilla").asDouble();
            mb.append(String.format("N=%d: OT %s, vanilla %s; ", n, pct(a), pct(v)));
            holds &= a > v;
        }
        rows.add(List.of("more models can be fused", mb.toString().trim(), holds ? "agrees: OT stays above vanilla for every N" : "differs for some N"));
        d.table("claims", null, List.of("claim", "our number", "agreement"), rows);
    }

    private void fusionReports(StudyDoc d) {
        d.htmlOnly(b -> {
            b.heading("Fusion reports (per-layer costs and transport maps)");
            String pid = VitStudy.pairId(pairs.get(0));
            for (String id : List.of("oneshot-" + pid + "-ot-soft-acts", "oneshot-" + pid + "-ot-hard-weights", "hetero-ot-wide")) {
                JsonNode dir = get(id).path("dir");
                if (dir.isMissingNode()) continue;
                Path f = Path.of(dir.asText()).resolve(FusionReportView.FILE);
                if (Files.isRegularFile(f)) FusionReportView.read(f).addTo(b, id, 4, HtmlReport.DEFAULT_MAX_SIDE);
            }
        });
    }

    static ArrayNode arr(double... v) {
        ArrayNode a = Steps.JSON.createArrayNode();
        for (double x : v) a.add(x);
        return a;
    }
}
