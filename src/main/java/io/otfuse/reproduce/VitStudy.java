package io.otfuse.reproduce;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.otfuse.demo.DataCheck;
import io.otfuse.fusion.ActivationSource;
import io.otfuse.fusion.Baselines;
import io.otfuse.fusion.Fusion;
import io.otfuse.fusion.FusionOptions;
import io.otfuse.io.AtomicFiles;
import io.otfuse.io.ExitCode;
import io.otfuse.io.OtfuseException;
import io.otfuse.model.data.ImageData;
import io.otfuse.model.data.ImageSet;
import io.otfuse.model.train.TrainOptions;
import io.otfuse.model.train.Training;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code otfuse reproduce vit}: the paper's claims measured on Fashion-MNIST ViTs, as resumable steps
 * ({@link Steps}): parents, one-shot fusion per pair, ablations, finetuning with equal budgets, N models,
 * heterogeneous compression; then results.json, RESULTS.md and report.html ({@link VitReport}).
 */
public final class VitStudy {
    /** A finetuning recipe: budget in epochs (may be fractional), peak learning rate, schedule after warm-up. */
    public record Recipe(String name, double budget, double lr, String schedule) {}

    /** Everything that decides the study's numbers. */
    public static final class Settings {
        public String data = "fashion-mnist";
        /** Parent recipe; parents are the folders {@code <parentName>-seed<S>}. */
        public String parentName = "vit-crop1";
        public int hidden = 64, layers = 4, heads = 4, mlp = 128, patch = 7;
        public int epochs = 15, batch = 128;
        public double lr = 1e-3, warmup = 0.05, weightDecay = 0.05, labelSmoothing = 0.1;
        public int cropPad = 1;
        /** Training images for parents and finetunes (0 = all 60 000). */
        public int limit = 0;
        /** Test images of every evaluation (0 = all 10 000). */
        public int evalLimit = 0;
        public int seeds = 4;
        /** Narrow anchor for heterogeneous compression: same recipe, folder {@code <narrowName>-seed<narrowSeed>}. */
        public String narrowName = "vit-crop1-h48";
        public int narrowHidden = 48, narrowHeads = 3, narrowMlp = 96;
        public long narrowSeed = 1;
        /** Finetuning: the equal budget of step 4 (epochs), peak lr, schedule, warm-up fraction, evaluation interval. */
        public double budget = 1.5;
        public double ftLr = 5e-4;
        public String ftSchedule = "cosine";
        public double ftWarmup = 0.1;
        public double evalEvery = 0.25;
        /** Extra finetuning recipes tried on pair (1,2) for the OT-fused model. */
        public List<Recipe> recipes = new ArrayList<>();
        /** Activation samples of the activation-based variants. */
        public int samples = 200;
        /** Sinkhorn λ of the soft variants (from weights / from activations: the best of docs/RESULTS.md "Fusion"). */
        public double regWeights = 0.06, regActs = 0.08;
        public double[] lambdas = {0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32};
        public int[] sampleCounts = {25, 50, 100, 200, 400, 1000};
        public List<String> residuals = List.of("mean", "only-skip", "only-branch", "identity", "weighted-scalar", "weighted-neuron");
        public List<String> qkModes = List.of("separate", "shared", "joint");
        public List<String> tokenFilters = List.of("all", "cls", "window-2");
        public List<String> actNorms = List.of("standardise", "centre", "l2", "none");
        public int[] ns = {2, 3, 4};
        public boolean quick = false;

        /** The full study (parents as in docs/RESULTS.md "Models"). */
        public static Settings full() {
            Settings s = new Settings();
            s.recipes = List.of(new Recipe("b0.5-lr5e-4-cos", 0.5, 5e-4, "cosine"), new Recipe("b1.5-lr1e-3-cos", 1.5, 1e-3, "cosine"),
                    new Recipe("b1.5-lr2e-4-const", 1.5, 2e-4, "constant"), new Recipe("b3-lr5e-4-cos", 3.0, 5e-4, "cosine"),
                    new Recipe("b6-lr5e-4-cos", 6.0, 5e-4, "cosine"));
            return s;
        }

        /** The reduced study of {@code --quick}: 10 000 training and 2 000 test images, 3 parent epochs. */
        public static Settings quick() {
            Settings s = full();
            s.quick = true;
            s.parentName = "vit-quick";
            s.narrowName = "vit-quick-h48";
            s.epochs = 3;
            s.limit = 10000;
            s.evalLimit = 2000;
            s.budget = 0.3;
            s.evalEvery = 0.1;
            s.recipes = List.of(new Recipe("b0.1-lr5e-4-cos", 0.1, 5e-4, "cosine"), new Recipe("b0.3-lr1e-3-cos", 0.3, 1e-3, "cosine"),
                    new Recipe("b1-lr5e-4-cos", 1.0, 5e-4, "cosine"));
            s.lambdas = new double[] {0.01, 0.08, 0.32};
            s.sampleCounts = new int[] {50, 200};
            s.residuals = List.of("mean", "weighted-neuron");
            s.tokenFilters = List.of("all", "cls");
            s.actNorms = List.of("standardise", "none");
            s.ns = new int[] {2, 3};
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
            o.labelSmoothing = labelSmoothing;
            o.cropPad = cropPad;
            o.limit = limit;
            o.evalLimit = evalLimit;
            return o;
        }

        TrainOptions finetuneOptions(long seed, double budget, double lr, String schedule) {
            return parentOptions(seed).finetune(budget, lr, schedule, ftWarmup, evalEvery);
        }

        Recipe defaultRecipe() {
            return new Recipe("default", budget, ftLr, ftSchedule);
        }

        ObjectNode toJson() {
            ObjectNode n = Steps.JSON.valueToTree(this);
            n.put("parent_recipe", parentOptions(0).toJson(Steps.JSON.createObjectNode()).toString());
            return n;
        }
    }

    /**
     * How to run it. {@code waitParents}: a parent folder in {@code parents} that is still being trained (elsewhere) is
     * waited for, polling every minute, instead of being refused.
     */
    public record Options(Path out, Path parents, Settings settings, ActivationSource source, boolean progress, PrintStream log, boolean waitParents) {
        public Options(Path out, Path parents, Settings settings, ActivationSource source, boolean progress, PrintStream log) {
            this(out, parents, settings, source, progress, log, false);
        }
    }

    private final Options o;
    private final Settings s;
    private final Steps steps;
    private final PrintStream log;
    private ImageSet test;
    final Map<Long, Path> parentDirs = new LinkedHashMap<>();

    private VitStudy(Options o) {
        this.o = o;
        this.s = o.settings();
        this.log = o.log();
        this.steps = new Steps(o.out(), log);
    }

    /** Runs (or resumes) the study and writes its outputs; returns results.json's content. */
    public static ObjectNode run(Options o) {
        return new VitStudy(o).run();
    }

    private ObjectNode run() {
        long t0 = System.nanoTime();
        if (s.data.equals("fashion-mnist")) DataCheck.ensureFashionMnist(log);
        mkdirs(o.out().resolve("models").resolve("fused"));
        mkdirs(o.out().resolve("models").resolve("finetuned"));
        AtomicFiles.writeString(o.out().resolve("settings.json"), s.toJson().toPrettyString() + "\n");
        test = ImageData.load(s.data, "test").limit(s.evalLimit);
        log.printf("otfuse reproduce vit%s: results in %s (finished steps are kept in %s and not run again)%n", s.quick ? " --quick" : "", o.out(),
                o.out().resolve("steps"));

        // Order: everything on pair (1,2) first, then the narrow anchor and compression, then the other parents, so
        // that parents still being trained elsewhere (--wait-parents) are needed as late as possible.
        List<long[]> pairs = pairs();
        long[] p12 = pairs.get(0);
        section("1", "parents %d and %d: ViT hidden %d, %d layers, %d heads, MLP %d, patch %d; %d epochs (recipe %s)", p12[0], p12[1], s.hidden, s.layers,
                s.heads, s.mlp, s.patch, s.epochs, s.parentName);
        for (long seed : p12) parent(seed, false);

        // sanity: fusing a model with itself must give the model back
        Path p1 = parentDirs.get(p12[0]);
        steps.run("sanity-self-vanilla", "vanilla average of parent 1 with itself", () -> evalFused("sanity-self-vanilla", null, List.of(p1, p1)));
        steps.run("sanity-self-ot", "OT (EMD, weights) of parent 1 with itself", () -> evalFused("sanity-self-ot", FusionOptions.preset("default"), List.of(p1, p1)));

        section("2", "one-shot fusion of pair (%d,%d): vanilla, OT hard/soft from weights and activations, reference preset, output ensemble", p12[0], p12[1]);
        oneShot(p12);

        section("3", "ablations on pair (1,2) around the best one-shot setting (default preset, activations, Sinkhorn \u03bb %s)", s.regActs);
        ablations(p12);

        Recipe def = s.defaultRecipe();
        section("4", "finetuning pair (1,2): %s epochs (%.0f %% of the parents' %d), lr %s, %s schedule; fused (best OT and vanilla) vs parents trained further; "
                + "%d more recipes", s.budget, 100 * s.budget / s.epochs, s.epochs, s.ftLr, s.ftSchedule, s.recipes.size());
        finetunePair(p12, def);
        String bestParent12 = bestParent(p12);
        for (Recipe r : s.recipes) {
            finetune("recipe-" + r.name() + "-ot", "oneshot-" + pairId(p12) + "-" + bestOt(p12), r, 500);
            finetune("recipe-" + r.name() + "-parent", bestParent12, r, 600);
        }

        section("6", "heterogeneous compression: parents 1 and 2 (hidden %d, MLP %d, %d heads) into a narrow anchor (hidden %d, MLP %d, %d heads) trained with the same recipe",
                s.hidden, s.mlp, s.heads, s.narrowHidden, s.narrowMlp, s.narrowHeads);
        parent(s.narrowSeed, true);
        FusionOptions bestOpts = oneShotVariants().get("ot-soft-acts");
        Path narrow = parentDirs.get(-1L);
        List<Path> hetero = List.of(narrow, parentDirs.get(p12[0]), parentDirs.get(p12[1]));
        Map<String, double[]> hw = new LinkedHashMap<>();
        hw.put("wide", new double[] {0, 0.5, 0.5});
        hw.put("uniform", new double[] {1 / 3.0, 1 / 3.0, 1 - 2 / 3.0});
        for (String solver : List.of("", "-emd")) {
            for (Map.Entry<String, double[]> w : hw.entrySet()) {
                FusionOptions h = (solver.isEmpty() ? bestOpts : oneShotVariants().get("ot-hard-acts")).clone();
                h.weights = w.getValue();
                String id = "hetero-ot-" + w.getKey() + solver;
                steps.tryRun(id, "OT fusion (" + (solver.isEmpty() ? "Sinkhorn \u03bb " + h.reg : "EMD") + ", activations) into the narrow anchor, averaging weights "
                        + java.util.Arrays.toString(w.getValue()), () -> evalFused(id, h, hetero));
                finetune("hetero-finetune-" + w.getKey() + solver, id, def, 700);
            }
        }
        finetune("narrow-further", "narrow", def, 800);

        if (s.seeds > 2) {
            section("1", "parents 3..%d", s.seeds);
            for (long seed = 3; seed <= s.seeds; seed++) parent(seed, false);
            for (long[] p : pairs.subList(1, pairs.size())) {
                section("2", "one-shot fusion of pair (%d,%d)", p[0], p[1]);
                oneShot(p);
                section("4", "finetuning pair (%d,%d) with the same budget", p[0], p[1]);
                finetunePair(p, def);
            }
        }

        section("5", "N = %s models (seeds 1..N): vanilla vs OT vs output ensemble", java.util.Arrays.toString(s.ns));
        for (int n : s.ns) {
            if (n > s.seeds) continue;
            List<Path> ds = new ArrayList<>();
            for (long seed = 1; seed <= n; seed++) ds.add(parentDirs.get(seed));
            steps.run("multi-n" + n + "-vanilla", "vanilla average of " + n + " parents", () -> evalFused("multi-n" + n + "-vanilla", null, ds));
            steps.run("multi-n" + n + "-ot", "OT fusion of " + n + " parents (anchor seed 1)", () -> evalFused("multi-n" + n + "-ot", bestOpts.clone(), ds));
            steps.run("multi-n" + n + "-ensemble", "output ensemble of " + n + " parents", () -> ensemble(ds));
        }

        double total = (System.nanoTime() - t0) / 1e9;
        log.printf("%nall steps finished (%d run now, %d done earlier, %.0f s); writing results%n", steps.ran(), steps.reused(), total);
        return new VitReport(o, steps, pairs).write(total);
    }

    // ---------------------------------------------------------------- parents

    private void parent(long seed, boolean narrow) {
        String name = (narrow ? s.narrowName : s.parentName) + "-seed" + seed;
        String id = narrow ? "narrow" : "parent-seed" + seed;
        ObjectNode r = steps.run(id, (narrow ? "narrow anchor " : "parent ") + name, () -> {
            Map<String, Integer> shape = narrow ? Map.of("hidden", s.narrowHidden, "layers", s.layers, "heads", s.narrowHeads, "mlp", s.narrowMlp)
                    : Map.of("hidden", s.hidden, "layers", s.layers, "heads", s.heads, "mlp", s.mlp);
            Path dir = null;
            String source;
            if (o.parents() != null && Files.isDirectory(o.parents().resolve(name))) {
                Path given = o.parents().resolve(name);
                String why = mismatch(given, shape, seed);
                while (why != null && o.waitParents() && (why.startsWith("unfinished") || why.startsWith("no "))) {
                    log.printf("  waiting for %s (%s); checking again in 60 s%n", given, why);
                    try {
                        Thread.sleep(60_000);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new OtfuseException(ExitCode.INTERNAL, "interrupted while waiting for " + given, e);
                    }
                    why = mismatch(given, shape, seed);
                }
                if (why != null) {
                    throw new OtfuseException(ExitCode.USAGE, given + ": not usable as " + name + " (" + why + "); finish or move it, or point --parents elsewhere");
                }
                dir = given;
                source = "--parents";
                log.printf("  using %s%n", dir);
            } else {
                dir = o.out().resolve("parents").resolve(name);
                source = "trained";
                log.printf("  training %s into %s%n", name, dir);
                Training.VitShape sh = new Training.VitShape(shape.get("hidden"), s.layers, shape.get("heads"), shape.get("mlp"), s.patch);
                Models.train(false, sh, null, s.data, s.parentOptions(seed), dir, o.progress(), log);
            }
            ObjectNode n = Models.evalVit(dir, test).json(dir);
            n.put("name", name).put("seed", seed).put("source", source);
            n.put("train_seconds", io.otfuse.model.train.TrainLoop.readState(dir).path("train_seconds").asDouble());
            n.set("curve", Models.curve(dir, Double.NaN, "test_accuracy", "test_loss", "train_loss"));
            return n;
        });
        parentDirs.put(narrow ? -1L : seed, Path.of(r.get("dir").asText()));
    }

    /** {@link Models#recipeMismatch}, tolerant of a folder being replaced by its training run at that moment. */
    private String mismatch(Path dir, Map<String, Integer> shape, long seed) {
        try {
            return Models.recipeMismatch(dir, shape, s.parentOptions(seed), seed);
        } catch (OtfuseException e) {
            return "no readable checkpoint yet (" + e.getMessage() + ")";
        }
    }

    private List<long[]> pairs() {
        List<long[]> p = new ArrayList<>();
        for (long a = 1; a + 1 <= s.seeds; a += 2) p.add(new long[] {a, a + 1});
        if (p.isEmpty()) throw new OtfuseException(ExitCode.USAGE, "the study needs at least 2 parents");
        return p;
    }

    static String pairId(long[] p) {
        return "p" + p[0] + p[1];
    }

    private List<Path> dirs(long[] seeds) {
        List<Path> d = new ArrayList<>();
        for (long x : seeds) d.add(parentDirs.get(x));
        return d;
    }

    // ---------------------------------------------------------------- fusion

    /** The one-shot variants (null options = vanilla averaging). */
    Map<String, FusionOptions> oneShotVariants() {
        return oneShotVariants(s.data, s.samples, s.regWeights, s.regActs);
    }

    /**
     * The one-shot variants of both studies, in report order: vanilla (null options), OT hard / soft from weights and
     * from activations with the default preset, and the official preset from activations.
     */
    static Map<String, FusionOptions> oneShotVariants(String data, int samples, double regWeights, double regActs) {
        Map<String, FusionOptions> v = new LinkedHashMap<>();
        v.put("vanilla", null);
        FusionOptions hw = FusionOptions.preset("default");
        v.put("ot-hard-weights", hw);
        FusionOptions sw = hw.clone();
        sw.solver = "sinkhorn";
        sw.reg = regWeights;
        v.put("ot-soft-weights", sw);
        FusionOptions ha = hw.clone();
        ha.align = "activations";
        ha.data = data;
        ha.samples = samples;
        v.put("ot-hard-acts", ha);
        FusionOptions sa = ha.clone();
        sa.solver = "sinkhorn";
        sa.reg = regActs;
        v.put("ot-soft-acts", sa);
        FusionOptions off = FusionOptions.preset("official");
        off.data = data;
        off.samples = samples;
        v.put("official-acts", off);
        return v;
    }

    static final Map<String, String> DESCRIPTIONS = Map.of(
            "vanilla", "vanilla averaging (no alignment)",
            "ot-hard-weights", "OT hard (EMD) from weights",
            "ot-soft-weights", "OT soft (Sinkhorn) from weights",
            "ot-hard-acts", "OT hard (EMD) from activations",
            "ot-soft-acts", "OT soft (Sinkhorn) from activations",
            "official-acts", "reference settings (official preset: activations, Sinkhorn 0.08)");

    private String describe(String name, FusionOptions f) {
        String d = DESCRIPTIONS.getOrDefault(name, name);
        if (f != null && f.solver.equals("sinkhorn") && !name.equals("official-acts")) d += " \u03bb " + f.reg;
        return d + (f == null ? "" : ", " + f.preset + " preset");
    }

    /** Fuses (or averages, when {@code f} is null) into models/fused/ID and evaluates on the test set. */
    private ObjectNode evalFused(String id, FusionOptions f, List<Path> models) {
        Path dst = o.out().resolve("models").resolve("fused").resolve(id);
        long t0 = System.nanoTime();
        if (f == null) Baselines.vanilla(models, null, dst, true);
        else Fusion.fuse(models, f, dst, true, o.source(), msg -> { });
        double fuseSec = (System.nanoTime() - t0) / 1e9;
        ObjectNode n = Models.evalVit(dst, test).json(dst);
        n.put("fuse_seconds", fuseSec);
        if (f != null) n.set("options", Steps.JSON.valueToTree(f.toMap()));
        ArrayNode ms = n.putArray("models");
        for (Path m : models) ms.add(m.toString());
        return n;
    }

    private ObjectNode ensemble(List<Path> models) {
        List<float[][]> logits = new ArrayList<>();
        long params = 0;
        for (Path m : models) {
            Models.Scored sc = Models.evalVit(m, test);
            logits.add(sc.logits());
            params += sc.params();
        }
        ObjectNode n = Models.score(Baselines.ensembleLogits(logits, null), test.labels(), params).json(null);
        ArrayNode ms = n.putArray("models");
        for (Path m : models) ms.add(m.toString());
        return n;
    }

    private void ablations(long[] p) {
        List<Path> ds = dirs(p);
        FusionOptions base = oneShotVariants().get("ot-soft-acts");
        FusionOptions baseW = oneShotVariants().get("ot-soft-weights");
        for (double lam : s.lambdas) {
            FusionOptions a = base.clone();
            a.reg = lam;
            ablation("ablate-lambda-acts-" + lam, "Sinkhorn \u03bb " + lam + " from activations", a, ds);
            FusionOptions w = baseW.clone();
            w.reg = lam;
            ablation("ablate-lambda-weights-" + lam, "Sinkhorn \u03bb " + lam + " from weights", w, ds);
        }
        for (String r : s.residuals) {
            FusionOptions a = base.clone();
            a.topology = "per-join";
            a.residual = r;
            ablation("ablate-residual-" + r, "per-join topology, residual policy " + r, a, ds);
        }
        for (String q : s.qkModes) {
            FusionOptions a = base.clone();
            a.qk = q;
            if (q.equals("joint")) a.headAware = false;
            ablation("ablate-qk-" + q, "Q/K mode " + q, a, ds);
        }
        FusionOptions nh = base.clone();
        nh.headAware = false;
        ablation("ablate-headaware-false", "no head-aware matching (cross-head alignment)", nh, ds);
        for (String t : s.tokenFilters) {
            FusionOptions a = base.clone();
            a.tokens = t;
            ablation("ablate-tokens-" + t, "token filter " + t, a, ds);
        }
        for (int n : s.sampleCounts) {
            FusionOptions a = base.clone();
            a.samples = n;
            ablation("ablate-samples-" + n, n + " activation samples", a, ds);
        }
        for (String an : s.actNorms) {
            FusionOptions a = base.clone();
            a.actNorm = an;
            ablation("ablate-actnorm-" + an, "activation normalisation " + an, a, ds);
        }
    }

    private void ablation(String id, String title, FusionOptions f, List<Path> ds) {
        steps.tryRun(id, title, () -> {
            ObjectNode n = evalFused(id, f, ds);
            // one-shot ablation models are not needed afterwards; keep the reports only
            Path dst = Path.of(n.get("dir").asText());
            try {
                Files.deleteIfExists(dst.resolve("model.safetensors"));
            } catch (java.io.IOException e) {
                // keeping it is harmless
            }
            return n;
        });
    }

    /** The OT variant of a pair with the best one-shot accuracy. */
    private String bestOt(long[] p) {
        String best = null;
        double acc = -1;
        for (String v : oneShotVariants().keySet()) {
            if (v.equals("vanilla")) continue;
            ObjectNode r = steps.stored("oneshot-" + pairId(p) + "-" + v);
            if (r != null && r.path("accuracy").asDouble() > acc) {
                acc = r.path("accuracy").asDouble();
                best = v;
            }
        }
        return best;
    }

    /** The step id of the pair's parent with the best test accuracy. */
    private String bestParent(long[] p) {
        ObjectNode a = steps.stored("parent-seed" + p[0]), b = steps.stored("parent-seed" + p[1]);
        return a.path("accuracy").asDouble() >= b.path("accuracy").asDouble() ? "parent-seed" + p[0] : "parent-seed" + p[1];
    }

    /** Finetunes the model of step {@code fromStep} with recipe {@code r} into models/finetuned/ID. */
    private void finetune(String id, String fromStep, Recipe r, long seed) {
        ObjectNode from = steps.stored(fromStep);
        if (from == null || !from.has("dir")) {
            log.printf("  %s: skipped (%s has no model)%n", id, fromStep);
            return;
        }
        Path start = Path.of(from.get("dir").asText());
        if (!Files.isRegularFile(start.resolve("model.safetensors"))) {
            log.printf("  %s: skipped (%s has no weights)%n", id, start);
            return;
        }
        steps.tryRun(id, String.format("finetune %s: %s epochs, lr %s, %s", fromStep, r.budget(), r.lr(), r.schedule()), () -> {
            Path dst = o.out().resolve("models").resolve("finetuned").resolve(id);
            ObjectNode st = Models.train(false, null, start, s.data, s.finetuneOptions(seed, r.budget(), r.lr(), r.schedule()), dst, o.progress(), log);
            ObjectNode n = Models.evalVit(dst, test).json(dst);
            n.put("from", fromStep).put("start_accuracy", from.path("accuracy").asDouble());
            n.put("recipe", r.name()).put("budget", r.budget()).put("lr", r.lr()).put("schedule", r.schedule());
            n.put("train_seconds", st.path("train_seconds").asDouble());
            n.set("curve", Models.curve(dst, from.path("accuracy").asDouble(), "test_accuracy", "test_loss"));
            return n;
        });
    }

    private void oneShot(long[] p) {
        for (Map.Entry<String, FusionOptions> v : oneShotVariants().entrySet()) {
            String id = "oneshot-" + pairId(p) + "-" + v.getKey();
            steps.run(id, describe(v.getKey(), v.getValue()), () -> evalFused(id, v.getValue(), dirs(p)));
        }
        String id = "oneshot-" + pairId(p) + "-ensemble";
        steps.run(id, "output ensemble (averaged logits) of seeds " + p[0] + " and " + p[1], () -> ensemble(dirs(p)));
    }

    private void finetunePair(long[] p, Recipe def) {
        String best = bestOt(p);
        finetune("finetune-" + pairId(p) + "-ot", "oneshot-" + pairId(p) + "-" + best, def, 200 + p[0]);
        finetune("finetune-" + pairId(p) + "-vanilla", "oneshot-" + pairId(p) + "-vanilla", def, 300 + p[0]);
        for (long seed : p) finetune("further-seed" + seed, "parent-seed" + seed, def, 400 + seed);
    }

    private void section(String k, String fmt, Object... args) {
        log.printf("%n== part %s of 6: %s%n", k, String.format(fmt, args));
    }

    static void mkdirs(Path d) {
        try {
            Files.createDirectories(d);
        } catch (java.io.IOException e) {
            throw new OtfuseException(ExitCode.IO_FAILURE, d + ": cannot create (" + e.getMessage() + ")", e);
        }
    }

    static JsonNode path(JsonNode n, String... keys) {
        JsonNode x = n;
        for (String k : keys) x = x.path(k);
        return x;
    }
}
