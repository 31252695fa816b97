package io.otfuse.reproduce;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.otfuse.fusion.ActivationSource;
import io.otfuse.fusion.Baselines;
import io.otfuse.fusion.Fusion;
import io.otfuse.fusion.FusionOptions;
import io.otfuse.io.AtomicFiles;
import io.otfuse.io.ExitCode;
import io.otfuse.io.OtfuseException;
import io.otfuse.model.train.TrainLoop;
import io.otfuse.model.train.TrainOptions;
import io.otfuse.model.train.Training;
import io.otfuse.report.Charts;
import io.otfuse.report.FusionReportView;
import io.otfuse.report.HtmlReport;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code otfuse reproduce bert}: two masked-LM BERT parents on the WordNet corpus, one-shot fusion (vanilla vs OT)
 * scored by validation loss and perplexity, then a short finetune of the fused models against the best parent
 * trained further by the same budget. Resumable like {@link VitStudy}.
 */
public final class BertStudy {
    public static final class Settings {
        public String data = "wordnet";
        /** Parents reused from --parents: {@code <parentName>-seed<S>} (architecture checked, all epochs done). */
        public String parentName = "bert-ft2";
        /** Parents trained here when --parents lacks them (one run with this recipe): {@code <trainedName>-seed<S>}. */
        public String trainedName = "bert-h128-e5";
        public int hidden = 128, layers = 2, heads = 4, mlp = 256, vocab = 4000, maxLen = 64;
        public int epochs = 5, batch = 32;
        public double lr = 1e-3, warmup = 0.05, weightDecay = 0.01;
        /** Training blocks (0 = all) and validation blocks of every evaluation (0 = all). */
        public int limit = 0, evalLimit = 0;
        public int seeds = 2;
        public double budget = 0.5, ftLr = 5e-4, ftWarmup = 0.05, evalEvery = 0.25;
        public String ftSchedule = "cosine";
        public int samples = 200;
        public double regWeights = 0.06, regActs = 0.08;
        /** Epochs the reused parents were trained for in all (for the budget's share; bert-ft2: 1 + 2 + 2). */
        public int parentEpochs = 5;
        public boolean quick = false;

        public static Settings full() {
            return new Settings();
        }

        public static Settings quick() {
            Settings s = new Settings();
            s.quick = true;
            s.parentName = "bert-quick";
            s.trainedName = "bert-quick";
            s.hidden = 32;
            s.layers = 1;
            s.heads = 2;
            s.mlp = 64;
            s.vocab = 1000;
            s.epochs = 3;
            s.parentEpochs = 3;
            s.lr = 2e-3;
            s.limit = 8000;
            s.evalLimit = 300;
            s.budget = 0.3;
            s.evalEvery = 0.1;
            s.samples = 50;
            return s;
        }

        TrainOptions parentOptions(long seed) {
            TrainOptions o = new TrainOptions();
            o.seed = seed;
            o.epochs = epochs;
            o.batch = batch;
            o.lr = lr;
            o.warmup = warmup;
            o.weightDecay = weightDecay;
            o.limit = limit;
            o.evalLimit = evalLimit;
            return o;
        }

        TrainOptions finetuneOptions(long seed) {
            return parentOptions(seed).finetune(budget, ftLr, ftSchedule, ftWarmup, evalEvery);
        }
    }

    public record Options(Path out, Path parents, Settings settings, ActivationSource source, boolean progress, PrintStream log) {}

    private final Options o;
    private final Settings s;
    private final Steps steps;
    private final PrintStream log;
    private final Map<Long, Path> parentDirs = new LinkedHashMap<>();

    private BertStudy(Options o) {
        this.o = o;
        this.s = o.settings();
        this.log = o.log();
        this.steps = new Steps(o.out(), log);
    }

    public static ObjectNode run(Options o) {
        return new BertStudy(o).run();
    }

    private static final List<String> VARIANTS = List.of("vanilla", "ot-hard-weights", "ot-soft-weights", "ot-hard-acts", "ot-soft-acts", "official-acts");

    private Map<String, FusionOptions> variants() {
        return VitStudy.oneShotVariants(s.data, s.samples, s.regWeights, s.regActs);
    }

    private ObjectNode run() {
        long t0 = System.nanoTime();
        VitStudy.mkdirs(o.out().resolve("models").resolve("fused"));
        VitStudy.mkdirs(o.out().resolve("models").resolve("finetuned"));
        log.printf("otfuse reproduce bert%s: results in %s (finished steps are kept in %s and not run again)%n", s.quick ? " --quick" : "", o.out(),
                o.out().resolve("steps"));
        log.printf("%n== step 1/3: parents (seeds 1..%d)%n", s.seeds);
        for (long seed = 1; seed <= s.seeds; seed++) parent(seed);
        List<Path> ds = new ArrayList<>(parentDirs.values());

        log.printf("%n== step 2/3: one-shot fusion of seeds 1 and 2 (validation loss and perplexity)%n");
        for (Map.Entry<String, FusionOptions> v : variants().entrySet()) {
            String id = "oneshot-" + v.getKey();
            steps.tryRun(id, VitStudy.DESCRIPTIONS.get(v.getKey()), () -> {
                Path dst = o.out().resolve("models").resolve("fused").resolve(id);
                long f0 = System.nanoTime();
                if (v.getValue() == null) Baselines.vanilla(ds.subList(0, 2), null, dst, true);
                else Fusion.fuse(ds.subList(0, 2), v.getValue(), dst, true, o.source(), msg -> { });
                double secs = (System.nanoTime() - f0) / 1e9;
                ObjectNode n = Models.evalBert(dst, s.data, s.evalLimit);
                n.put("fuse_seconds", secs);
                return n;
            });
        }

        log.printf("%n== step 3/3: finetuning, %s epochs at lr %s (%s): best OT, vanilla, best parent trained further%n", s.budget, s.ftLr, s.ftSchedule);
        String best = null;
        double bestLoss = Double.POSITIVE_INFINITY;
        for (String v : VARIANTS) {
            ObjectNode r = steps.stored("oneshot-" + v);
            if (!v.equals("vanilla") && r != null && r.path("loss").asDouble() < bestLoss) {
                bestLoss = r.path("loss").asDouble();
                best = v;
            }
        }
        if (best != null) finetune("finetune-ot", "oneshot-" + best, 201);
        finetune("finetune-vanilla", "oneshot-vanilla", 301);
        String bp = steps.stored("parent-seed1").path("loss").asDouble() <= steps.stored("parent-seed2").path("loss").asDouble() ? "parent-seed1" : "parent-seed2";
        finetune("further-best-parent", bp, 401);

        double total = (System.nanoTime() - t0) / 1e9;
        log.printf("%nall steps finished (%d run now, %d done earlier, %.0f s); writing results%n", steps.ran(), steps.reused(), total);
        return write(total, bp);
    }

    private void parent(long seed) {
        String id = "parent-seed" + seed;
        ObjectNode r = steps.run(id, "parent seed " + seed, () -> {
            Map<String, Integer> shape = Map.of("hidden", s.hidden, "layers", s.layers, "heads", s.heads, "mlp", s.mlp);
            String name = s.parentName + "-seed" + seed;
            Path dir;
            String source;
            if (o.parents() != null && Files.isDirectory(o.parents().resolve(name))) {
                dir = o.parents().resolve(name);
                String why = Models.recipeMismatch(dir, shape, TrainOptions.fromJson(TrainLoop.readState(dir).path("options")), TrainLoop.readState(dir).path("options").path("seed").asLong());
                if (why != null) throw new OtfuseException(ExitCode.USAGE, dir + ": not usable as " + name + " (" + why + ")");
                source = "--parents";
                log.printf("  using %s%n", dir);
            } else {
                name = s.trainedName + "-seed" + seed;
                dir = o.out().resolve("parents").resolve(name);
                source = "trained";
                log.printf("  training %s into %s (%d epochs)%n", name, dir, s.epochs);
                Models.train(true, new Training.BertShape(s.hidden, s.layers, s.heads, s.mlp, s.vocab, s.maxLen), null, s.data, s.parentOptions(seed), dir,
                        o.progress(), log);
            }
            ObjectNode n = Models.evalBert(dir, s.data, s.evalLimit);
            n.put("name", name).put("seed", seed).put("source", source);
            n.put("train_seconds", TrainLoop.readState(dir).path("train_seconds").asDouble());
            n.set("curve", Models.curve(dir, Double.NaN, "val_mlm_loss", "val_perplexity", "train_loss"));
            return n;
        });
        parentDirs.put(seed, Path.of(r.get("dir").asText()));
    }

    private void finetune(String id, String fromStep, long seed) {
        ObjectNode from = steps.stored(fromStep);
        if (from == null || !from.has("dir")) return;
        Path start = Path.of(from.get("dir").asText());
        steps.tryRun(id, "finetune " + fromStep + ": " + s.budget + " epochs", () -> {
            Path dst = o.out().resolve("models").resolve("finetuned").resolve(id);
            ObjectNode st = Models.train(true, null, start, s.data, s.finetuneOptions(seed), dst, o.progress(), log);
            ObjectNode n = Models.evalBert(dst, s.data, s.evalLimit);
            n.put("from", fromStep).put("start_loss", from.path("loss").asDouble()).put("budget", s.budget).put("lr", s.ftLr);
            n.put("train_seconds", st.path("train_seconds").asDouble());
            n.set("curve", Models.curve(dst, Double.NaN, "val_mlm_loss", "val_perplexity"));
            return n;
        });
    }

    // ---------------------------------------------------------------- outputs

    private ObjectNode get(String id) {
        ObjectNode n = steps.stored(id);
        return n == null ? Steps.JSON.createObjectNode() : n;
    }

    private static String f(JsonNode n, String key, String fmt) {
        JsonNode v = n.path(key);
        return v.isNumber() ? String.format(fmt, v.asDouble()) : "—";
    }

    private ObjectNode write(double total, String bestParent) {
        StudyDoc d = new StudyDoc("Reproduce: BERT masked LM on WordNet (" + (s.quick ? "quick" : "full") + " study)");
        String cmd = "./otfuse reproduce bert --out " + o.out() + (s.quick ? " --quick" : "") + (o.parents() != null ? " --parents " + o.parents() : "");
        d.code(cmd);
        d.para(String.format("Two BERT parents (hidden %d, %d layers, %d heads, MLP %d), seeds 1 and 2 (%s). Validation: masked-LM loss on %s validation blocks with the "
                        + "fixed masking seed; perplexity = exp(loss). Only two parents: BERT parents take ~45 min each here, so no second pair. Finetuning %s epochs "
                        + "(%.0f %% of the parents' %d), lr %s, %s. Total time of this run: %.0f s.", s.hidden, s.layers, s.heads, s.mlp,
                get("parent-seed1").path("source").asText().equals("--parents") ? "reused: " + s.parentName + "-seed1, -seed2" : "trained here: " + s.trainedName,
                s.evalLimit == 0 ? "all" : String.valueOf(s.evalLimit), s.budget, 100 * s.budget / s.parentEpochs, s.parentEpochs, s.ftLr, s.ftSchedule, total));
        d.heading("One-shot fusion");
        List<List<String>> rows = new ArrayList<>();
        for (String p : List.of("parent-seed1", "parent-seed2")) {
            ObjectNode n = get(p);
            rows.add(List.of(n.path("name").asText(p), f(n, "loss", "%.4f"), f(n, "perplexity", "%.1f"), f(n, "mlm_accuracy", "%.4f")));
        }
        for (String v : VARIANTS) {
            ObjectNode n = get("oneshot-" + v);
            String label = VitStudy.DESCRIPTIONS.get(v) + (v.equals("ot-soft-weights") ? " λ " + s.regWeights : v.equals("ot-soft-acts") ? " λ " + s.regActs : "");
            rows.add(List.of(label, n.has("error") ? "failed" : f(n, "loss", "%.4f"), f(n, "perplexity", "%.1f"), f(n, "mlm_accuracy", "%.4f")));
        }
        d.table("bert-oneshot", "Validation masked-LM loss (lower is better)", List.of("model", "loss", "perplexity", "MLM accuracy"), rows);
        d.heading("Finetuning");
        List<List<String>> ft = new ArrayList<>();
        ft.add(List.of("best parent (" + bestParent + ")", f(get(bestParent), "loss", "%.4f"), "", f(get(bestParent), "perplexity", "%.1f")));
        Map<String, double[][]> curves = new LinkedHashMap<>();
        for (String id : List.of("further-best-parent", "finetune-ot", "finetune-vanilla")) {
            ObjectNode n = get(id);
            ft.add(List.of(id + (n.has("from") ? " (from " + n.get("from").asText() + ")" : ""), f(n, "start_loss", "%.4f"), f(n, "loss", "%.4f"), f(n, "perplexity", "%.1f")));
            if (n.path("curve").has("epochs")) curves.put(id, Models.curveXY(n.path("curve"), "val_mlm_loss"));
        }
        d.table("bert-finetune", "Validation loss before and after " + s.budget + " epochs of finetuning", List.of("model", "loss before", "loss after", "perplexity after"), ft);
        d.chart("bert-finetune-curves", "BERT finetuning: validation loss", Charts.line("BERT finetuning: validation loss", "finetuning epochs", "validation loss", false, curves));

        ObjectNode claims = Steps.JSON.createObjectNode();
        double van = get("oneshot-vanilla").path("loss").asDouble(Double.NaN);
        double bestOt = Double.POSITIVE_INFINITY;
        for (String v : VARIANTS) if (!v.equals("vanilla")) bestOt = Math.min(bestOt, get("oneshot-" + v).path("loss").asDouble(Double.POSITIVE_INFINITY));
        double ot = get("finetune-ot").path("loss").asDouble(Double.NaN), bp = get(bestParent).path("loss").asDouble(Double.NaN),
                bpf = get("further-best-parent").path("loss").asDouble(Double.NaN);
        claims.put("oneshot_vanilla_loss", van).put("oneshot_best_ot_loss", bestOt).put("ot_below_vanilla", bestOt < van);
        claims.put("finetuned_ot_loss", ot).put("best_parent_loss", bp).put("best_parent_further_loss", bpf);
        List<List<String>> cl = new ArrayList<>();
        cl.add(List.of("one-shot OT loss < vanilla", String.format("best OT %.4f vs vanilla %.4f", bestOt, van), bestOt < van ? "agrees" : "differs"));
        cl.add(List.of("finetuned fused model beats the parents", String.format("fused + finetune %.4f vs best parent %.4f and best parent + same budget %.4f", ot, bp, bpf),
                ot < bpf ? "agrees, even against the parent trained further" : ot < bp ? "agrees against the parent, not against the parent trained further" : "differs"));
        d.heading("Claims");
        d.table("bert-claims", null, List.of("claim", "our number", "agreement"), cl);
        d.htmlOnly(b -> {
            b.heading("Fusion reports");
            for (String v : List.of("oneshot-ot-soft-acts", "oneshot-ot-hard-weights")) {
                JsonNode dir = get(v).path("dir");
                if (!dir.isMissingNode() && Files.isRegularFile(Path.of(dir.asText()).resolve(FusionReportView.FILE))) {
                    FusionReportView.read(Path.of(dir.asText())).addTo(b, v, 4, HtmlReport.DEFAULT_MAX_SIDE);
                }
            }
        });

        ObjectNode res = Steps.JSON.createObjectNode();
        res.put("study", "bert").put("quick", s.quick).put("command", cmd).put("total_seconds", total);
        res.set("settings", Steps.JSON.valueToTree(s));
        res.set("claims", claims);
        ObjectNode st = res.putObject("steps");
        for (String id : List.of("parent-seed1", "parent-seed2", "further-best-parent", "finetune-ot", "finetune-vanilla")) st.set(id, get(id));
        for (String v : VARIANTS) st.set("oneshot-" + v, get("oneshot-" + v));
        ObjectNode tables = res.putObject("tables");
        for (StudyDoc.Table t : d.tables()) {
            ObjectNode tn = tables.putObject(t.id());
            tn.put("caption", t.caption());
            tn.set("headers", Steps.JSON.valueToTree(t.headers()));
            ArrayNode rs = tn.putArray("rows");
            for (List<String> r : t.rows()) rs.add(Steps.JSON.valueToTree(r));
        }
        AtomicFiles.writeString(o.out().resolve("results.json"), res.toPrettyString() + "\n");
        d.writePlots(o.out().resolve("plots"));
        AtomicFiles.writeString(o.out().resolve("RESULTS.md"), d.markdown("plots/"));
        d.writeHtml(o.out().resolve("report.html"));
        log.printf("wrote %s, %s, %s%n", o.out().resolve("results.json"), o.out().resolve("RESULTS.md"), o.out().resolve("report.html"));
        return res;
    }
}
