package io.otfuse.demo;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.otfuse.fusion.ActivationSource;
import io.otfuse.fusion.Baselines;
import io.otfuse.fusion.Fusion;
import io.otfuse.fusion.FusionOptions;
import io.otfuse.io.AtomicFiles;
import io.otfuse.io.Checkpoint;
import io.otfuse.io.ExitCode;
import io.otfuse.io.OtfuseException;
import io.otfuse.io.VitConfig;
import io.otfuse.model.VitModel;
import io.otfuse.model.data.ImageData;
import io.otfuse.model.data.ImageSet;
import io.otfuse.model.data.Preprocessor;
import io.otfuse.model.train.TrainLoop;
import io.otfuse.model.train.TrainOptions;
import io.otfuse.model.train.Training;
import io.otfuse.report.FusionReportView;
import io.otfuse.report.HtmlReport;
import io.otfuse.report.ResultSections;
import io.otfuse.report.TrainingCurve;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code otfuse demo}: two ViT parents on Fashion-MNIST (trained, or reused from a cache keyed by their recipe),
 * fused by vanilla averaging and by OT (from weights; from activations when an {@link ActivationSource} is given),
 * every model evaluated on the test set, the best fused model finetuned briefly, a table printed and
 * {@code report.html} written with the models and fusion reports.
 */
public final class Demo {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Demo() {}

    /** Everything that decides the demo's numbers. Parent fields form the cache key. */
    public static final class Recipe {
        public String data = "fashion-mnist";
        public int hidden = 64, layers = 4, heads = 4, mlp = 128, patch = 7;
        public long[] seeds = {1, 2};
        public int epochs = 3;
        public int batch = 128;
        public double lr = 2e-3;
        public double warmup = 0.05;
        public double weightDecay = 0.05;
        public double labelSmoothing = 0.1;
        public int cropPad = 1;
        /** Training images used (0 = all). */
        public int limit = 0;
        /** Test images used for every evaluation (0 = all). */
        public int evalLimit = 0;
        /** Finetune of the best fused model (and of vanilla averaging, for contrast). */
        public int finetuneEpochs = 1;
        public double finetuneLr = 5e-4;
        public int finetuneLimit = 0;
        public boolean finetuneVanilla = true;
        /** Sinkhorn λ of the soft variants and activation samples. */
        public double softReg = 0.02;
        public int samples = 200;

        /** The recipe shipped with {@code otfuse demo}. */
        public static Recipe standard() {
            return new Recipe();
        }

        TrainOptions parentOptions(long seed) {
            TrainOptions o = new TrainOptions();
            o.seed = seed;
            o.epochs = epochs;
            o.batch = batch;
            o.lr = lr;
            o.warmup = warmup;
            o.weightDecay = weightDecay;
            o.labelSmoothing = labelSmoothing;
            o.cropPad = cropPad;
            o.limit = limit;
            o.evalLimit = evalLimit;
            return o;
        }

        TrainOptions finetuneOptions() {
            TrainOptions o = parentOptions(100);
            o.epochs = finetuneEpochs;
            o.lr = finetuneLr;
            o.warmup = 0.1;
            o.limit = finetuneLimit;
            return o;
        }

        Training.VitShape shape() {
            return new Training.VitShape(hidden, layers, heads, mlp, patch);
        }

        /** JSON of what determines a parent (seed excluded). */
        ObjectNode parentJson() {
            ObjectNode n = JSON.createObjectNode();
            n.put("data", data);
            n.put("hidden", hidden).put("layers", layers).put("heads", heads).put("mlp", mlp).put("patch", patch);
            parentOptions(0).toJson(n.putObject("options")).remove("seed");
            return n;
        }

        /** Cache key: a short hash of the parent recipe, so a changed recipe retrains. */
        public String key() {
            try {
                byte[] h = MessageDigest.getInstance("SHA-256").digest(parentJson().toString().getBytes(StandardCharsets.UTF_8));
                return "vit-" + HexFormat.of().formatHex(h, 0, 6);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        public ObjectNode toJson() {
            ObjectNode n = parentJson();
            ArrayNode s = n.putArray("seeds");
            for (long x : seeds) s.add(x);
            n.put("finetune_epochs", finetuneEpochs).put("finetune_lr", finetuneLr).put("finetune_limit", finetuneLimit);
            n.put("finetune_vanilla", finetuneVanilla).put("soft_reg", softReg).put("samples", samples);
            return n;
        }
    }

    /** How to run it. {@code source} null: the activation-based variants are left out (with a note). */
    public record Options(Path out, boolean force, Path cache, Recipe recipe, ActivationSource source, boolean progress, PrintStream log) {}

    /** One row of the table; {@code kind} is parent, reference, fused or finetuned. */
    public record Row(String name, String kind, Path dir, double oneShot, double afterFinetune, double seconds, String note) {}

    public record Result(List<Row> rows, Path report, Path out) {}

    /** Fused variants: name, description, options (null = vanilla averaging). */
    record Variant(String name, String description, FusionOptions options) {}

    static List<Variant> variants(Recipe r, boolean activations) {
        List<Variant> v = new ArrayList<>();
        v.add(new Variant("vanilla", "vanilla averaging (no alignment)", null));
        v.add(new Variant("ot-hard-weights", "OT hard (EMD) from weights, default preset", FusionOptions.preset("default")));
        FusionOptions soft = FusionOptions.preset("default");
        soft.solver = "sinkhorn";
        soft.reg = r.softReg;
        v.add(new Variant("ot-soft-weights", "OT soft (Sinkhorn \u03bb " + r.softReg + ") from weights, default preset", soft));
        if (activations) {
            FusionOptions a = FusionOptions.preset("default");
            a.align = "activations";
            a.data = r.data;
            a.samples = r.samples;
            v.add(new Variant("ot-hard-acts", "OT hard (EMD) from activations, default preset", a));
            FusionOptions as = a.clone();
            as.solver = "sinkhorn";
            as.reg = r.softReg;
            v.add(new Variant("ot-soft-acts", "OT soft (Sinkhorn \u03bb " + r.softReg + ") from activations, default preset", as));
            FusionOptions off = FusionOptions.preset("official");
            off.data = r.data;
            off.samples = r.samples;
            off.tokens = "all";
            v.add(new Variant("official-acts", "reference settings (official preset: activations, Sinkhorn 0.08, per-join, no head matching)", off));
        }
        return v;
    }

    /** The cache folder: {@code $OTFUSE_CACHE/demo-parents}, else {@code .cache/demo-parents} under the otfuse home. */
    public static Path defaultCache() {
        String env = System.getenv("OTFUSE_CACHE");
        if (env != null && !env.isBlank()) return Path.of(env).resolve("demo-parents");
        String home = System.getProperty("otfuse.home");
        return (home != null ? Path.of(home) : Path.of("")).resolve(".cache").resolve("demo-parents");
    }

    public static Result run(Options o) {
        long t0 = System.nanoTime();
        Recipe r = o.recipe();
        PrintStream log = o.log();
        Path out = o.out();
        if (Files.exists(out)) {
            if (!o.force()) throw new OtfuseException(ExitCode.OUTPUT_EXISTS, out + ": exists (use --force to replace it, or --out DIR)");
            AtomicFiles.deleteTree(out);
        }
        if (r.data.equals("fashion-mnist")) DataCheck.ensureFashionMnist(log);
        mkdirs(out.resolve("fused"));
        mkdirs(out.resolve("finetuned"));
        int steps = 4;
        List<Row> rows = new ArrayList<>();

        // 1. parents
        log.printf("[1/%d] parents: ViT hidden %d, %d layers, %d heads, MLP %d, patch %d; %d epochs on %s training images (recipe %s)%n",
                steps, r.hidden, r.layers, r.heads, r.mlp, r.patch, r.epochs, r.limit == 0 ? "all" : String.valueOf(r.limit), r.key());
        List<Path> parents = new ArrayList<>();
        List<Double> parentSeconds = new ArrayList<>();
        List<Boolean> parentCached = new ArrayList<>();
        for (long seed : r.seeds) {
            Path cached = o.cache().resolve(r.key()).resolve("seed" + seed);
            long p0 = System.nanoTime();
            boolean wasCached = parent(r, seed, cached, o.progress(), log);
            Path dst = out.resolve("parents").resolve("seed" + seed);
            copyCheckpoint(cached, dst);
            parents.add(dst);
            parentCached.add(wasCached);
            parentSeconds.add(wasCached ? TrainLoop.readState(cached).path("train_seconds").asDouble() : (System.nanoTime() - p0) / 1e9);
        }

        // 2. fusion
        List<Variant> vs = variants(r, o.source() != null);
        log.printf("[2/%d] fusion: %d variants%s%n", steps, vs.size(),
                o.source() == null ? " (activation-based variants need the activation source; not available in this build)" : "");
        Map<String, Path> fused = new LinkedHashMap<>();
        Map<String, Double> fuseSeconds = new LinkedHashMap<>();
        for (Variant v : vs) {
            Path dst = out.resolve("fused").resolve(v.name());
            long f0 = System.nanoTime();
            if (v.options() == null) Baselines.vanilla(parents, null, dst, false);
            else Fusion.fuse(parents, v.options(), dst, false, o.source(), msg -> { });
            double s = (System.nanoTime() - f0) / 1e9;
            fused.put(v.name(), dst);
            fuseSeconds.put(v.name(), s);
            log.printf("  %-16s %-80s %6.1f s%n", v.name(), v.description(), s);
        }

        // 3. evaluation
        ImageSet test = ImageData.load(r.data, "test").limit(r.evalLimit);
        log.printf("[3/%d] evaluation on %d test images%n", steps, test.size());
        List<float[][]> parentLogits = new ArrayList<>();
        for (int i = 0; i < parents.size(); i++) {
            Scored e = eval(parents.get(i), test);
            parentLogits.add(e.logits);
            String name = "parent seed " + r.seeds[i];
            rows.add(new Row(name, "parent", parents.get(i), e.accuracy, Double.NaN, parentSeconds.get(i),
                    parentCached.get(i) ? "trained earlier (cached); time is its training time" : "training time"));
            log.printf("  %-16s %6.2f %%%n", name, 100 * e.accuracy);
        }
        long e0 = System.nanoTime();
        float[][] ens = Baselines.ensembleLogits(parentLogits, null);
        double ensAcc = accuracy(ens, test.labels());
        rows.add(new Row("ensemble (logits)", "reference", null, ensAcc, Double.NaN, (System.nanoTime() - e0) / 1e9,
                "output averaging: runs both parents, the upper reference"));
        log.printf("  %-16s %6.2f %%%n", "ensemble", 100 * ensAcc);
        Map<String, Double> fusedAcc = new LinkedHashMap<>();
        for (Variant v : vs) {
            Scored e = eval(fused.get(v.name()), test);
            fusedAcc.put(v.name(), e.accuracy);
            log.printf("  %-16s %6.2f %%%n", v.name(), 100 * e.accuracy);
        }

        // 4. finetune
        String best = null;
        for (Map.Entry<String, Double> e : fusedAcc.entrySet()) {
            if (!e.getKey().equals("vanilla") && (best == null || e.getValue() > fusedAcc.get(best))) best = e.getKey();
        }
        List<String> toTune = new ArrayList<>();
        toTune.add(best);
        if (r.finetuneVanilla) toTune.add("vanilla");
        log.printf("[4/%d] finetune %s: %d epoch(s), lr %.1e, on %s training images%n", steps, String.join(" and ", toTune), r.finetuneEpochs,
                r.finetuneLr, r.finetuneLimit == 0 ? "all" : String.valueOf(r.finetuneLimit));
        Map<String, Double> tuned = new LinkedHashMap<>();
        Map<String, Double> tuneSeconds = new LinkedHashMap<>();
        Map<String, TrainingCurve> curves = new LinkedHashMap<>();
        for (int i = 0; i < parents.size(); i++) curves.put("parent seed " + r.seeds[i], TrainingCurve.fromTrainerState(parents.get(i)));
        for (String name : toTune) {
            Path dst = out.resolve("finetuned").resolve(name);
            long f0 = System.nanoTime();
            ObjectNode state = Training.trainVit(null, Checkpoint.open(fused.get(name)), r.data, r.finetuneOptions(), dst, null, o.progress(), log);
            tuneSeconds.put(name, (System.nanoTime() - f0) / 1e9);
            ArrayNode h = (ArrayNode) state.path("history");
            tuned.put(name, h.get(h.size() - 1).path("test_accuracy").asDouble());
            curves.put(name + " (finetune)", withStart(TrainingCurve.fromTrainerState(dst), fusedAcc.get(name)));
        }
        for (Variant v : vs) {
            String n = v.name();
            double secs = fuseSeconds.get(n) + tuneSeconds.getOrDefault(n, 0.0);
            rows.add(new Row(v.name(), "fused", fused.get(n), fusedAcc.get(n), tuned.getOrDefault(n, Double.NaN), secs,
                    v.description() + (tuned.containsKey(n) ? "; time = fusion + finetune" : "; time = fusion")));
        }

        double total = (System.nanoTime() - t0) / 1e9;
        String table = table(rows);
        log.println();
        log.print(table);
        Path report = writeOutputs(o, rows, vs, curves, best, total, table);
        log.printf("%nwrote %s (models under parents/, fused/, finetuned/; report.html; results.json) in %.0f s%n", out, total);
        return new Result(rows, report, out);
    }

    /** Trains the parent into its cache folder unless a finished one is there; resumes an interrupted one. True when reused. */
    static boolean parent(Recipe r, long seed, Path dir, boolean progress, PrintStream log) {
        TrainOptions opts = r.parentOptions(seed);
        if (Files.isRegularFile(dir.resolve(TrainLoop.STATE))) {
            ObjectNode st = TrainLoop.readState(dir);
            int done = st.path("epochs_done").asInt();
            if (done >= opts.epochs) {
                log.printf("  seed %d: reusing %s (delete it to retrain)%n", seed, dir);
                return true;
            }
            log.printf("  seed %d: resuming %s after epoch %d%n", seed, dir, done);
            Training.trainVit(null, Checkpoint.open(dir), r.data, TrainOptions.fromJson(st.path("options")), dir, st, progress, log);
            return false;
        }
        log.printf("  seed %d: training into %s%n", seed, dir);
        mkdirs(dir.getParent());
        try {
            Files.writeString(dir.getParent().resolve("recipe.json"), r.parentJson().toPrettyString() + "\n");
        } catch (IOException e) {
            throw new OtfuseException(ExitCode.IO_FAILURE, dir.getParent() + ": cannot write recipe.json (" + e.getMessage() + ")", e);
        }
        Training.trainVit(r.shape(), null, r.data, opts, dir, null, progress, log);
        return false;
    }

    private record Scored(double accuracy, float[][] logits) {}

    private static Scored eval(Path dir, ImageSet test) {
        try (Checkpoint ck = Checkpoint.open(dir); NDManager m = NDManager.newBaseManager(); VitModel model = VitModel.load(ck, m)) {
            VitConfig vc = (VitConfig) ck.config();
            Preprocessor pre = Preprocessor.read(dir, vc.numChannels, vc.imageSize);
            float[] flat = io.otfuse.model.train.Eval.vitLogits(model, test, pre, 500, 0);
            int c = vc.numLabels;
            float[][] lg = new float[test.size()][c];
            for (int i = 0; i < lg.length; i++) System.arraycopy(flat, i * c, lg[i], 0, c);
            return new Scored(accuracy(lg, test.labels()), lg);
        }
    }

    static double accuracy(float[][] logits, int[] labels) {
        long ok = 0;
        for (int i = 0; i < logits.length; i++) {
            int b = 0;
            for (int k = 1; k < logits[i].length; k++) if (logits[i][k] > logits[i][b]) b = k;
            if (b == labels[i]) ok++;
        }
        return (double) ok / logits.length;
    }

    /** Prepends the one-shot point (epoch 0) to a finetune curve. */
    static TrainingCurve withStart(TrainingCurve c, double oneShot) {
        int n = c.epochs().length;
        double[] ep = new double[n + 1];
        System.arraycopy(c.epochs(), 0, ep, 1, n);
        Map<String, double[]> m = new LinkedHashMap<>();
        for (Map.Entry<String, double[]> e : c.metrics().entrySet()) {
            double[] v = new double[n + 1];
            v[0] = e.getKey().equals("test_accuracy") ? oneShot : Double.NaN;
            System.arraycopy(e.getValue(), 0, v, 1, n);
            m.put(e.getKey(), v);
        }
        return new TrainingCurve(ep, m);
    }

    /** The plain-text table printed at the end (and embedded in the report). */
    public static String table(List<Row> rows) {
        StringBuilder b = new StringBuilder();
        b.append(String.format("%-20s %-10s %10s %15s %9s%n", "model", "kind", "one-shot", "after finetune", "time"));
        for (Row row : rows) {
            b.append(String.format("%-20s %-10s %9.2f%% %15s %8.1fs%n", row.name(), row.kind(), 100 * row.oneShot(),
                    Double.isNaN(row.afterFinetune()) ? "-" : String.format("%.2f%%", 100 * row.afterFinetune()), row.seconds()));
        }
        return b.toString();
    }

    private static Path writeOutputs(Options o, List<Row> rows, List<Variant> vs, Map<String, TrainingCurve> curves, String best, double total,
                                     String table) {
        Recipe r = o.recipe();
        ObjectNode res = JSON.createObjectNode();
        res.set("recipe", r.toJson());
        res.put("recipe_key", r.key());
        res.put("total_seconds", total);
        res.put("finetuned_best", best);
        ArrayNode a = res.putArray("rows");
        for (Row row : rows) {
            ObjectNode n = a.addObject();
            n.put("model", row.name()).put("kind", row.kind()).put("dir", row.dir() == null ? null : o.out().relativize(row.dir()).toString());
            n.put("one_shot_accuracy", row.oneShot());
            if (!Double.isNaN(row.afterFinetune())) n.put("after_finetune_accuracy", row.afterFinetune());
            n.put("seconds", row.seconds()).put("note", row.note());
        }
        AtomicFiles.writeString(o.out().resolve("results.json"), res.toPrettyString() + "\n");
        AtomicFiles.writeString(o.out().resolve("results.txt"), table);

        HtmlReport.Builder b = HtmlReport.builder().title("otfuse demo: fusing two ViTs on Fashion-MNIST");
        b.paragraph(String.format("Two ViT parents (hidden %d, %d layers, %d heads, MLP %d, patch %d; seeds %s; %d epochs, lr %.1e, batch %d) "
                        + "fused by vanilla averaging and by optimal transport, evaluated on %s test images; the best fused model%s finetuned for %d "
                        + "epoch(s) at lr %.1e. Total time %.0f s.", r.hidden, r.layers, r.heads, r.mlp, r.patch, java.util.Arrays.toString(r.seeds), r.epochs,
                r.lr, r.batch, r.evalLimit == 0 ? "all" : String.valueOf(r.evalLimit), r.finetuneVanilla ? " and vanilla averaging" : "",
                r.finetuneEpochs, r.finetuneLr, total));
        if (o.source() == null) b.paragraph("Activation-based variants (OT from activations, the official preset) were left out: no activation source in this build.");
        List<ResultSections.ModelResult> mr = new ArrayList<>();
        for (Row row : rows) mr.add(new ResultSections.ModelResult(row.name(), row.oneShot(), row.afterFinetune(), Math.round(row.seconds() * 10) / 10.0));
        b.heading("Results");
        ResultSections.resultsTable(b, "Test accuracy", "accuracy", true, mr);
        ResultSections.resultsChart(b, "Test accuracy", "accuracy", true, mr);
        List<List<?>> notes = new ArrayList<>();
        for (Row row : rows) notes.add(List.of(row.name(), row.kind(), row.dir() == null ? "" : o.out().relativize(row.dir()).toString(), row.note()));
        b.table("What each row is", List.of("model", "kind", "folder", "note"), notes);
        b.heading("Training and finetuning curves");
        ResultSections.finetuneCurves(b, "Test set", curves, List.of("test_accuracy", "test_loss"));
        b.heading("Fusion reports");
        for (Variant v : vs) {
            if (v.options() == null) continue;
            Path dir = o.out().resolve("fused").resolve(v.name());
            FusionReportView.read(dir).addTo(b, v.name() + ": " + v.description(), 4, HtmlReport.DEFAULT_MAX_SIDE);
        }
        b.heading("Recipe");
        b.code(r.toJson().toPrettyString());
        return b.write(o.out().resolve("report.html"));
    }

    private static void copyCheckpoint(Path src, Path dst) {
        mkdirs(dst);
        try (Stream<Path> s = Files.list(src)) {
            for (Path f : s.toList()) {
                String n = f.getFileName().toString();
                if (!Files.isRegularFile(f) || n.startsWith(".") || n.equals(TrainLoop.OPTIMIZER)) continue;
                Files.copy(f, dst.resolve(n));
            }
        } catch (IOException e) {
            throw new OtfuseException(ExitCode.IO_FAILURE, dst + ": copying the parent failed (" + e.getMessage() + ")", e);
        }
    }

    private static void mkdirs(Path d) {
        try {
            Files.createDirectories(d);
        } catch (IOException e) {
            throw new OtfuseException(ExitCode.IO_FAILURE, d + ": cannot create (" + e.getMessage() + ")", e);
        }
    }
}
