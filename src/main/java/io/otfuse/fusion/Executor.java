package io.otfuse.fusion;

import io.otfuse.fusion.spec.ArchSpec;
import io.otfuse.io.Checkpoint;
import io.otfuse.io.ExitCode;
import io.otfuse.io.ModelConfig;
import io.otfuse.io.OtfuseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Runs a {@link Plan} on N models: computes the transport map of every space for every non-anchor model, moves
 * every axis of every tensor into anchor coordinates, and averages with the per-model weights. Tensors are read
 * from the (memory-mapped) checkpoints when needed; maps are dropped once no later step uses them. Only the fused
 * tensors are held in memory.
 */
public final class Executor {
    private final List<Checkpoint> models;
    private final FusionOptions o;
    private final Plan plan;
    private final int anchor;
    private final ModelConfig anchorCfg;
    private final Activations acts;
    private final Consumer<String> progress;
    /** Per space, its maps (null once dropped); read and dropped from the fusing thread as well (see {@link #run}). */
    private final List<TransportMap[]> maps = java.util.Collections.synchronizedList(new ArrayList<>());
    private final Map<String, Integer> spaceIndex = new HashMap<>();
    private final List<Map<String, Object>> reportSpaces = new ArrayList<>();
    /** Downsampled maps for the sidecar, one per space and non-anchor model (a refinement pass replaces its entry). */
    private final Map<String, MapSidecar.Map> sidecar = new LinkedHashMap<>();
    /** Model k's tensors with all axes but one already moved, kept from the cost step for the fusing step. */
    private final Map<String, Moved> moved = new java.util.concurrent.ConcurrentHashMap<>();

    record Moved(int axis, Shaped x) {}

    private boolean cacheMoved = true;
    private int pass = 0;

    /** The fused tensors (anchor shapes, HF order) and the report. */
    public record Result(ModelConfig config, LinkedHashMap<String, float[]> tensors, Map<String, long[]> shapes,
                         Map<String, Object> report, FusedSink spill, List<MapSidecar.Map> maps) {
        public Result(ModelConfig config, LinkedHashMap<String, float[]> tensors, Map<String, long[]> shapes, Map<String, Object> report) {
            this(config, tensors, shapes, report, null, List.of());
        }

        public Result(ModelConfig config, LinkedHashMap<String, float[]> tensors, Map<String, long[]> shapes, Map<String, Object> report,
                      FusedSink spill) {
            this(config, tensors, shapes, report, spill, List.of());
        }

        /** The fused tensors for the writer, in HF order; spilled ones are mapped back from the scratch file one at a time. */
        public List<io.otfuse.io.TensorEntry> entries(io.otfuse.io.DType dtype) {
            List<io.otfuse.io.TensorEntry> out = new ArrayList<>();
            for (Map.Entry<String, float[]> e : tensors.entrySet()) {
                String name = e.getKey();
                long[] shape = shapes.get(name);
                if (e.getValue() != null) {
                    out.add(io.otfuse.io.TensorEntry.ofFloats(name, shape, e.getValue(), dtype));
                } else {
                    out.add(new io.otfuse.io.TensorEntry(name, dtype, shape.clone(), () -> spill.bytes(name, dtype)));
                }
            }
            return out;
        }
    }

    private FusedSink spill;

    /** Spill every fused tensor to {@code s} as soon as it is finished instead of keeping it in the heap. */
    public Executor spillTo(FusedSink s) {
        this.spill = s;
        return this;
    }

    public Executor(List<Checkpoint> models, FusionOptions o, Plan plan, Activations acts, Consumer<String> progress) {
        this.models = models;
        this.o = o;
        this.plan = plan;
        this.anchor = o.anchor;
        this.anchorCfg = models.get(anchor).config();
        this.acts = acts;
        this.progress = progress == null ? s -> { } : progress;
        for (int i = 0; i < plan.spaces().size(); i++) {
            spaceIndex.put(plan.spaces().get(i).id(), i);
            maps.add(null);
            joinInputs.addAll(plan.spaces().get(i).joinInputs());
        }
        for (Plan.Tensor t : plan.tensors()) {
            for (int a = 0; a < t.spaces().size(); a++) {
                if (t.spaces().get(a) != null) normsOf.computeIfAbsent(t.spaces().get(a), x -> java.util.EnumSet.noneOf(TransportMap.Norm.class)).add(norm(t.dirs().get(a)));
            }
        }
    }

    /** Spaces whose maps a join reads entry by entry. */
    private final java.util.Set<String> joinInputs = new java.util.HashSet<>();
    /** The normalised forms each space's map is moved with. */
    private final Map<String, java.util.Set<TransportMap.Norm>> normsOf = new HashMap<>();

    /** Builds the plan for the anchor's spec and checks the models can be fused. */
    public static Plan planFor(List<Checkpoint> models, FusionOptions o) {
        ModelConfig a = models.get(o.anchor).config();
        for (int k = 0; k < models.size(); k++) {
            ModelConfig c = models.get(k).config();
            if (c.family() != a.family()) {
                throw new OtfuseException(ExitCode.INCOMPATIBLE_MODELS, "model " + k + " (" + models.get(k).dir() + ") is " + c.family().name().toLowerCase()
                        + " but the anchor is " + a.family().name().toLowerCase() + ": only models of one family can be fused");
            }
            if (c.numHiddenLayers != a.numHiddenLayers) {
                throw new OtfuseException(ExitCode.INCOMPATIBLE_MODELS, "model " + k + " (" + models.get(k).dir() + ") has " + c.numHiddenLayers
                        + " layers but the anchor has " + a.numHiddenLayers + ": layer-wise fusion needs equal depth");
            }
        }
        ArchSpec spec = ArchSpec.of(a.family());
        ArchSpec.Expanded ex = spec.expand(a, o.referenceAxes, name -> models.stream().allMatch(m -> has(m, name)));
        return Planner.plan(ex, o);
    }

    static boolean has(Checkpoint c, String name) {
        try {
            c.stored(name);
            return true;
        } catch (OtfuseException e) {
            return false;
        }
    }

    public Result run() {
        long t0 = System.nanoTime();
        int nSpaces = plan.spaces().size();
        // last step that needs each space's map
        int[] lastUse = new int[nSpaces];
        for (int s = 0; s < nSpaces; s++) {
            lastUse[s] = s;
            Plan.Space sp = plan.spaces().get(s);
            for (String in : sp.joinInputs()) bump(lastUse, in, s);
            if (sp.input() != null) bump(lastUse, sp.input(), s);
            for (Plan.Source src : sp.sources()) {
                for (String other : plan.tensors().stream().filter(t -> t.name().equals(src.tensor())).findFirst().orElseThrow().spaces()) {
                    if (other != null) bump(lastUse, other, s);
                }
            }
        }
        for (Plan.Tensor t : plan.tensors()) for (String sp : t.spaces()) if (sp != null) bump(lastUse, sp, t.readyAfter());
        Map<Integer, List<Plan.Tensor>> byStep = new HashMap<>();
        for (Plan.Tensor t : plan.tensors()) byStep.computeIfAbsent(t.readyAfter(), k -> new ArrayList<>()).add(t);

        Map<String, float[]> fused = java.util.Collections.synchronizedMap(new HashMap<>());
        Map<String, long[]> shapes = new java.util.concurrent.ConcurrentHashMap<>();
        Integer streamIdx = spaceIndex.get(Planner.STREAM);
        if (o.refine > 0 && streamIdx != null) {
            // coordinate descent (as Git Re-Basin): all maps, then the stream map again from every tensor that reads or
            // writes the stream (other axes moved by the current maps), then every other map again; fuse at the end
            cacheMoved = false;
            for (int s = 0; s < nSpaces; s++) computeSpace(s, plan.spaces().get(s));
            for (pass = 1; pass <= o.refine; pass++) {
                computeSpace(streamIdx, plan.spaces().get(streamIdx));
                for (int s = 0; s < nSpaces; s++) if (s != streamIdx) computeSpace(s, plan.spaces().get(s));
                progress.accept("refinement pass " + pass + "/" + o.refine);
            }
            for (Plan.Tensor t : plan.tensors()) fuseTensor(t, fused, shapes);
            return result(t0, fused, shapes);
        }
        long tf = Profile.start();
        for (Plan.Tensor t : byStep.getOrDefault(-1, List.of())) fuseTensor(t, fused, shapes);
        Profile.add("run.before", tf);
        // The tensors finished by step s are fused (and the maps step s was the last to read dropped) on a thread of its
        // own while this thread computes the maps of step s + 1: moves and solves overlap instead of leaving a core idle
        // in each other's serial parts. One step at most is in flight, so memory grows by one step's tensors. Every
        // tensor is computed exactly as before, so the result does not change.
        java.util.concurrent.ExecutorService fuser = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
            Thread th = new Thread(() -> {
                try {
                    r.run();
                } finally {
                    NativeGemm.releaseThread(); // its engine buffers end with it
                }
            }, "otfuse-fuser");
            th.setDaemon(true);
            return th;
        });
        java.util.concurrent.Future<?> pending = null;
        try {
            for (int s = 0; s < nSpaces; s++) {
                Plan.Space sp = plan.spaces().get(s);
                computeSpace(s, sp);
                if (sp.layer() >= 0 && sp.id().startsWith("mlp@")) progress.accept("layer " + (sp.layer() + 1) + "/" + anchorCfg.numHiddenLayers);
                long tw = Profile.start();
                await(pending);
                Profile.add("run.await", tw);
                int step = s;
                List<Plan.Tensor> ready = byStep.getOrDefault(s, List.of());
                pending = fuser.submit(() -> {
                    for (Plan.Tensor t : ready) fuseTensor(t, fused, shapes);
                    for (int u = 0; u <= step; u++) if (lastUse[u] == step) drop(u);
                });
            }
            long tw = Profile.start();
            await(pending);
            Profile.add("run.tail", tw);
        } finally {
            fuser.shutdownNow();
        }
        return result(t0, fused, shapes);
    }

    /** Waits for a fusing step; its failure is rethrown here. */
    private static void await(java.util.concurrent.Future<?> f) {
        if (f != null) await(f, "fusing tensors");
    }

    /** The result of work done on another thread ({@code what}, for the message if interrupted); its failure is rethrown here. */
    static <T> T await(java.util.concurrent.Future<T> f, String what) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OtfuseException(ExitCode.IO_FAILURE, "interrupted while " + what, e);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            if (e.getCause() instanceof Error err) throw err;
            throw new IllegalStateException(e.getCause());
        }
    }

    /** Drops space u's maps once no later step reads them, handing their large arrays back for reuse. */
    private void drop(int u) {
        TransportMap[] ms = maps.get(u);
        boolean large = false;
        if (ms != null) {
            for (TransportMap t : ms) {
                if (t == null) continue;
                large |= (long) t.n() * t.m() >= TransportMap.SHARED_MIN;
                t.release();
            }
        }
        maps.set(u, null);
        // the engine's products for a large space leave freed native blocks in several threads' malloc arenas: return them
        if (large) io.otfuse.model.NativeHeap.trim();
    }

    private Result result(long t0, Map<String, float[]> fused, Map<String, long[]> shapes) {
        LinkedHashMap<String, float[]> ordered = new LinkedHashMap<>();
        Map<String, long[]> orderedShapes = new LinkedHashMap<>();
        for (Plan.Tensor t : plan.tensors()) {
            ordered.put(t.name(), fused.get(t.name()));
            orderedShapes.put(t.name(), shapes.get(t.name()));
        }
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("family", plan.family());
        List<String> dirs = new ArrayList<>();
        for (Checkpoint c : models) dirs.add(c.dir().toString());
        report.put("models", dirs);
        report.put("anchor", anchor);
        double[] w = new double[models.size()];
        for (int k = 0; k < w.length; k++) w[k] = o.weight(k, models.size(), false);
        report.put("weights", Arrays.stream(w).boxed().toList());
        report.put("options", o.toMap());
        report.put("notes", plan.notes());
        report.put("spaces", reportSpaces);
        report.put("tensors", ordered.size());
        report.put("time_ms", (System.nanoTime() - t0) / 1e6);
        return new Result(anchorCfg, ordered, orderedShapes, report, spill, new ArrayList<>(sidecar.values()));
    }

    private void bump(int[] lastUse, String space, int step) {
        Integer i = spaceIndex.get(space);
        if (i != null) lastUse[i] = Math.max(lastUse[i], step);
    }

    int size(Plan.Space sp, int k) {
        return ArchSpec.size(sp.size(), models.get(k).config()) * sp.blocks();
    }

    TransportMap map(String space, int k) {
        Integer i = spaceIndex.get(space);
        if (i == null || maps.get(i) == null) throw new IllegalStateException("map of space " + space + " is not available");
        return maps.get(i)[k];
    }

    // ---------------------------------------------------------------- spaces

    private void computeSpace(int s, Plan.Space sp) {
        TransportMap[] ms = new TransportMap[models.size()];
        for (int k = 0; k < models.size(); k++) {
            if (k == anchor) continue;
            long t0 = System.nanoTime();
            Map<String, Object> rep = new LinkedHashMap<>();
            rep.put("space", sp.id());
            if (sp.members().size() > 1) rep.put("members", sp.members());
            rep.put("model", k);
            if (o.refine > 0) rep.put("pass", pass);
            ms[k] = sp.rule() == Plan.Rule.JOIN ? join(sp, k, rep) : solve(sp, k, rep);
            long ts = Profile.start();
            rep.put("entropy", ms[k].entropy());
            rep.put("marginal_error", ms[k].marginalError());
            sidecar.put(sp.id() + "\u0000" + k, new MapSidecar.Map(sp.id(), k, ms[k].n(), ms[k].m(), ms[k].blockMeans(MapSidecar.MAX_SIDE)));
            if (o.refine == 0 && !joinInputs.contains(sp.id()) && (long) ms[k].n() * ms[k].m() >= TransportMap.SHARED_MIN) {
                ms[k].keepOnly(normsOf.getOrDefault(sp.id(), java.util.Set.of())); // only the moves read it from here on
            }
            Profile.add("space.stats", ts);
            rep.put("time_ms", (System.nanoTime() - t0) / 1e6);
            reportSpaces.add(rep);
        }
        maps.set(s, ms);
    }

    private TransportMap join(Plan.Space sp, int k, Map<String, Object> rep) {
        rep.put("rule", "join(" + o.residual + ")");
        rep.put("inputs", sp.joinInputs());
        List<TransportMap> in = new ArrayList<>();
        for (String i : sp.joinInputs()) in.add(map(i, k));
        int n = in.get(0).n(), m = in.get(0).m();
        rep.put("n", n);
        rep.put("m", m);
        double[] p = new double[n * m];
        switch (o.residual) {
            case "mean" -> {
                for (TransportMap t : in) addDivided(p, t.plan(), in.size()); // plan() once: it is synchronized
            }
            case "only-skip" -> System.arraycopy(in.get(0).plan(), 0, p, 0, p.length);
            case "only-branch" -> System.arraycopy(in.get(in.size() - 1).plan(), 0, p, 0, p.length);
            case "identity" -> {
                if (n != m) throw new OtfuseException(ExitCode.INCOMPATIBLE_MODELS, "--residual identity needs equal widths; model " + k + " has " + n + " neurons in " + sp.id() + ", the anchor " + m);
                return TransportMap.identity(n);
            }
            default -> {
                // weighted-scalar / weighted-neuron: magnitudes of the anchor's activations at the join's taps
                double[][] mag = acts.joinMagnitudes(sp, o.residual.equals("weighted-neuron"));
                double[][] plans = new double[in.size()][];
                for (int t = 0; t < plans.length; t++) plans[t] = in.get(t).plan();
                addWeighted(p, plans, mag, n, m);
            }
        }
        return new TransportMap(p, n, m);
    }

    /**
     * {@code p[i] += x[i] / d}. The join's loops live in small methods of their own, so the compiler compiles them
     * alone instead of the whole join with them (one large compilation of a method run a few dozen times).
     */
    private static void addDivided(double[] p, double[] x, int d) {
        for (int i = 0; i < p.length; i++) p[i] += x[i] / d;
    }

    /** Column j of {@code p} += each plan's column j weighted by its share of the magnitudes {@code mag[t][j]}. */
    private static void addWeighted(double[] p, double[][] plans, double[][] mag, int n, int m) {
        for (int j = 0; j < m; j++) {
            double tot = 0;
            for (double[] g : mag) tot += g[j];
            for (int t = 0; t < plans.length; t++) {
                double wgt = tot > 0 ? mag[t][j] / tot : 1.0 / plans.length;
                double[] pt = plans[t];
                for (int i = 0; i < n; i++) p[i * m + j] += wgt * pt[i * m + j];
            }
        }
    }

    private TransportMap solve(Plan.Space sp, int k, Map<String, Object> rep) {
        if (pass > 0 && sp.id().equals(Planner.STREAM)) return solveWith(sp, k, rep, refinedStreamCost(k, size(sp, k), size(sp, anchor)));
        // spaces without a module output (cls token, position embeddings) use their weights; like the reference,
        // weight normalisation only applies when aligning by weights (see cost())
        double[] cost = headCosts.remove(pass + ":" + sp.id() + ":" + k); // computed for the head matching of its layer
        if (cost == null) cost = cost(sp, k);
        TransportMap map = solveWith(sp, k, rep, cost);
        if (!map.holds(cost)) io.otfuse.ot.ArrayPool.give(cost); // unused after its solve: the next cost of that size is written into it
        return map;
    }

    private final Map<String, int[]> headMatches = new HashMap<>();
    /** Cost matrices of head-partitioned spaces computed for their layer's head matching, waiting for their solve. */
    private final Map<String, double[]> headCosts = new HashMap<>();

    /** The head matching of a layer for model k, shared by all its head-partitioned spaces (computed at the first). */
    private int[] headMatch(int layer, int k, int h, int d, String current, double[] currentCost) {
        String key = pass + ":" + layer + ":" + k;
        int[] match = headMatches.get(key);
        if (match != null) return match;
        double[] total = new double[h * h];
        for (Plan.Space other : plan.spaces()) {
            if (!other.heads() || other.layer() != layer) continue;
            double[] c = other.id().equals(current) ? currentCost : cost(other, k);
            if (c != currentCost) headCosts.put(pass + ":" + other.id() + ":" + k, c); // reused when that space is solved
            long th = Profile.start();
            double[] hc = HeadAware.headCosts(c, size(other, anchor), h, d);
            Profile.add("head.costs", th);
            for (int i = 0; i < total.length; i++) total[i] += hc[i];
        }
        match = HeadAware.matchHeads(total, h);
        headMatches.put(key, match);
        return match;
    }

    /** The normalised cost matrix of a solved space for model k. */
    private double[] cost(Plan.Space sp, int k) {
        long t0 = Profile.start();
        GroundMetric.Features[] f = o.align.equals("activations") ? acts.features(sp, k, anchor) : null;
        if (f != null && o.pca > 0) {
            int[] used = new int[1];
            GroundMetric.Features[] projected = GroundMetric.pca(f[0], f[1], o.pca, used);
            for (int i = 0; i < f.length; i++) if (projected[i] != f[i] && f[i].owned()) io.otfuse.ot.ArrayPool.give(f[i].x());
            f = projected;
            pcaComponents.put(pass + ":" + sp.id() + ":" + k, used[0]);
        }
        if (f == null) f = weightFeatures(sp, k, o.align.equals("activations") ? "none" : o.weightNorm);
        Profile.add("cost.features", t0);
        t0 = Profile.start();
        double[] max = {Double.NaN};
        double[] d = GroundMetric.distance(f[0], f[1], o.metric, null, max); // into a pooled array when one is free
        for (GroundMetric.Features x : f) if (x.owned()) io.otfuse.ot.ArrayPool.give(x.x()); // copies made for this cost
        Profile.add("cost.distance", t0);
        t0 = Profile.start();
        // a finite largest distance means every distance is finite (NaN and +Inf would be the largest)
        int bad = Double.isFinite(max[0]) ? 0 : finiteCosts(d);
        double[] c = GroundMetric.normaliseCostInPlace(d, o.costNorm, o.clip, o.clipReg, bad == 0 ? max[0] : Double.NaN); // d is ours: no copy
        // dividing finite costs by their (positive) maximum cannot make them non-finite
        if (bad > 0 || !o.costNorm.equals("max")) bad += finiteCosts(c);
        Profile.add("cost.normalise", t0);
        if (bad > 0) nonFiniteCosts.put(pass + ":" + sp.id() + ":" + k, bad);
        if (bad > 0 && warnedNonFinite.add(sp.id())) progress.accept("warning: " + sp.id() + ": non-finite costs (NaN/Inf weights) replaced by the largest finite cost");
        return c;
    }

    private final java.util.Set<String> warnedNonFinite = new java.util.HashSet<>();
    /** Principal directions the activation features were projected onto ({@code pca}), per pass, space and model. */
    private final Map<String, Integer> pcaComponents = new HashMap<>();
    /** How many non-finite entries {@link #cost} replaced, per pass, space and model, for the space's report. */
    private final Map<String, Integer> nonFiniteCosts = new HashMap<>();

    /**
     * Cost of the shared stream from every tensor with one axis on the stream, the other axes moved by the current maps:
     * squared distances summed over the (separately normalised) tensors, so the features are never concatenated.
     */
    private double[] refinedStreamCost(int k, int n, int m) {
        double[] sq = new double[n * m];
        for (Plan.Tensor t : plan.tensors()) {
            int axis = -1, count = 0;
            for (int a = 0; a < t.spaces().size(); a++) {
                if (Planner.STREAM.equals(t.spaces().get(a))) {
                    axis = a;
                    count++;
                }
            }
            if (count != 1) continue;
            GroundMetric.Features fk = GroundMetric.normaliseWeights(rowsOf(moveOthers(t, k, axis), axis), o.weightNorm);
            GroundMetric.Features fa = GroundMetric.normaliseWeights(rowsOf(new Shaped(read(anchor, t.name()), shape(anchor, t.name())), axis), o.weightNorm);
            double[] d = GroundMetric.distance(fk, fa, "sq-euclidean");
            for (int i = 0; i < sq.length; i++) sq[i] += d[i];
        }
        if (!o.metric.equals("sq-euclidean")) for (int i = 0; i < sq.length; i++) sq[i] = Math.sqrt(sq[i]);
        double[] c = GroundMetric.normaliseCost(sq, o.costNorm, o.clip, o.clipReg);
        int bad = finiteCosts(c);
        if (bad > 0) nonFiniteCosts.put(pass + ":" + Planner.STREAM + ":" + k, bad);
        return c;
    }

    private TransportMap solveWith(Plan.Space sp, int k, Map<String, Object> rep, double[] cost) {
        int n = size(sp, k), m = size(sp, anchor);
        Integer nonFinite = nonFiniteCosts.remove(pass + ":" + sp.id() + ":" + k); // costs come finite from cost() / refinedStreamCost()
        Integer components = pcaComponents.remove(pass + ":" + sp.id() + ":" + k);
        if (components != null) rep.put("pca_components", components);
        if (nonFinite != null) rep.put("warning_nonfinite", nonFinite + " NaN/Inf cost entries (non-finite weights) replaced by the largest finite cost");
        TransportSolver solver = solverFor(sp, k, n, m);
        double[] a = new double[n], b = new double[m];
        Arrays.fill(a, 1.0 / n);
        Arrays.fill(b, 1.0 / m);
        TransportSolver.Result r;
        double before = Double.NaN; // before the solve: Sinkhorn may write its plan into the cost array
        if (n == m) {
            before = 0;
            for (int i = 0; i < n; i++) before += cost[i * m + i] / n;
        }
        int hk = models.get(k).config().numAttentionHeads, ha = anchorCfg.numAttentionHeads;
        int[] headTo = null;
        if (sp.heads() && o.headAware && HeadAware.applies(n, m, hk, ha)) {
            headTo = headMatch(sp.layer(), k, ha, m / ha, sp.id(), cost);
            long th = Profile.start();
            r = HeadAware.solve(solver, cost, n, m, ha, headTo, rep);
            Profile.add("head.solve", th);
        } else {
            if (sp.heads() && o.headAware) rep.put("head_aware", "skipped: " + hk + " heads of " + (n / hk) + " vs " + ha + " heads of " + (m / ha));
            long t0 = Profile.start();
            // a large map that only moves tensors (no refinement, no join reads it entry by entry) may come back in float
            boolean movesOnly = o.refine == 0 && !joinInputs.contains(sp.id()) && (long) n * m >= TransportMap.SHARED_MIN;
            r = movesOnly ? solver.solveForMoves(a, b, cost, n, m) : solver.solve(a, b, cost, n, m);
            Profile.add("solve." + solver.name(), t0);
        }
        rep.put("rule", "solve");
        rep.put("solver", solver.name());
        rep.put("sources", sp.sources().size());
        rep.put("n", n);
        rep.put("m", m);
        if (n == m) rep.put("cost_before", before);
        TransportMap map = r.map();
        if (headTo != null && !map.isSparse()) map.withBlocks(m / ha, headTo); // moves go head by head
        rep.put("cost_after", Double.isNaN(r.objective()) ? map.dot(cost) : r.objective()); // solvers that overwrite the cost report their objective
        rep.put("iterations", r.iterations());
        if (r.warning() != null) rep.put("warning", r.warning());
        return map;
    }

    /**
     * With --allow-nonfinite, NaN or infinite weights give NaN/Inf costs, which no solver accepts: they are replaced by the
     * largest finite cost (0 when there is none), so such neurons are matched last. Returns how many were replaced.
     */
    static int finiteCosts(double[] cost) {
        int bad = 0;
        for (double c : cost) if (!Double.isFinite(c)) bad++;
        if (bad == 0) return 0;
        double max = 0;
        for (double c : cost) if (Double.isFinite(c)) max = Math.max(max, c);
        for (int i = 0; i < cost.length; i++) if (!Double.isFinite(cost[i])) cost[i] = max;
        return bad;
    }

    private TransportSolver solverFor(Plan.Space sp, int k, int n, int m) {
        TransportSolver sinkhorn = OtAdapter.sinkhorn(o.reg, o.sinkhornMaxIter, o.sinkhornStopThr, true); // cost arrays are ours to give up
        switch (o.solver) {
            case "emd":
                return OtAdapter.emd();
            case "sinkhorn":
                return sinkhorn;
            default: { // sinkhorn-widening: Sinkhorn where the layer is wider than its input map
                if (sp.input() == null) return OtAdapter.emd();
                TransportMap in = map(sp.input(), k);
                return n > in.n() || m > in.m() ? sinkhorn : OtAdapter.emd();
            }
        }
    }

    /** Features from the weights of the space's source tensors, their other axes already in anchor coordinates. */
    private GroundMetric.Features[] weightFeatures(Plan.Space sp, int k, String weightNorm) {
        GroundMetric.Features[] byBlockK = new GroundMetric.Features[sp.blocks()], byBlockA = new GroundMetric.Features[sp.blocks()];
        for (int b = 0; b < sp.blocks(); b++) {
            List<GroundMetric.Features> fk = new ArrayList<>(), fa = new ArrayList<>();
            for (Plan.Source src : sp.sources()) {
                if (src.block() != b) continue;
                Plan.Tensor t = tensor(src.tensor());
                Shaped mk = moveOthers(t, k, src.axis());
                if (cacheMoved && t.blocks().stream().allMatch(bl -> bl < 0) && worthKeeping(t, k, src.axis())) moved.put(k + "\u0000" + t.name(), new Moved(src.axis(), mk));
                fk.add(rowsOf(mk, src.axis()));
                fa.add(rowsOf(new Shaped(anchorTensor(t.name()), shape(anchor, t.name())), src.axis()));
            }
            if (o.normAfterConcat) {
                byBlockK[b] = GroundMetric.normaliseWeights(GroundMetric.Features.concat(fk), weightNorm);
                byBlockA[b] = GroundMetric.normaliseWeights(GroundMetric.Features.concat(fa), weightNorm);
            } else {
                byBlockK[b] = GroundMetric.normaliseAndConcat(fk, weightNorm);
                byBlockA[b] = GroundMetric.normaliseAndConcat(fa, weightNorm);
            }
        }
        return new GroundMetric.Features[] {GroundMetric.stack(byBlockK), GroundMetric.stack(byBlockA)};
    }

    record Shaped(float[] x, long[] shape) {}

    /** Model k's tensor with every transported axis except {@code keep} moved into anchor coordinates. */
    private Shaped moveOthers(Plan.Tensor t, int k, int keep) {
        float[] x = read(k, t.name());
        long[] shape = shape(k, t.name()).clone();
        int stacked = -1;
        for (int a = 0; a < shape.length; a++) {
            if (a == keep || t.spaces().get(a) == null) continue;
            if (t.blocks().get(a) >= 0) {
                stacked = a;
                continue;
            }
            TransportMap.Matrix mat = map(t.spaces().get(a), k).normalised(norm(t.dirs().get(a)));
            float[] y = Transport.apply(x, shape, a, mat);
            io.otfuse.ot.ArrayPool.give(x); // read or moved here: nothing else holds it
            x = y;
            shape[a] = mat.m();
        }
        if (stacked < 0) return new Shaped(x, shape);
        // a block of a stacked space (joint Q/K): stack with the partner tensor, move, keep this block
        int a = stacked, b = t.blocks().get(a);
        Shaped mine = new Shaped(x, shape), other = moveOthers(tensor(t.partners().get(a)), k, a);
        Shaped st = b == 0 ? stack(mine, other, a) : stack(other, mine, a);
        TransportMap.Matrix mat = map(t.spaces().get(a), k).normalised(norm(t.dirs().get(a)));
        float[] moved = Transport.apply(st.x(), st.shape(), a, mat);
        long[] ms = st.shape().clone();
        ms[a] = mat.m();
        return slice(new Shaped(moved, ms), a, b * (mat.m() / 2), mat.m() / 2);
    }

    static Shaped stack(Shaped x, Shaped y, int axis) {
        long[] s = x.shape().clone();
        s[axis] += y.shape()[axis];
        int pre = 1, post = 1;
        for (int d = 0; d < axis; d++) pre *= (int) s[d];
        for (int d = axis + 1; d < s.length; d++) post *= (int) s[d];
        int nx = (int) x.shape()[axis], ny = (int) y.shape()[axis], n = nx + ny;
        float[] out = new float[pre * n * post];
        for (int p = 0; p < pre; p++) {
            System.arraycopy(x.x(), p * nx * post, out, p * n * post, nx * post);
            System.arraycopy(y.x(), p * ny * post, out, (p * n + nx) * post, ny * post);
        }
        return new Shaped(out, s);
    }

    static Shaped slice(Shaped x, int axis, int from, int len) {
        long[] s = x.shape().clone();
        int n = (int) s[axis];
        s[axis] = len;
        int pre = 1, post = 1;
        for (int d = 0; d < axis; d++) pre *= (int) s[d];
        for (int d = axis + 1; d < s.length; d++) post *= (int) s[d];
        float[] out = new float[pre * len * post];
        for (int p = 0; p < pre; p++) System.arraycopy(x.x(), (p * n + from) * post, out, p * len * post, len * post);
        return new Shaped(out, s);
    }

    /** The slices along {@code axis} as rows: {@code [shape[axis], rest]}. */
    static GroundMetric.Features rowsOf(Shaped s, int axis) {
        long[] shape = s.shape();
        int pre = 1, post = 1, n = (int) shape[axis];
        for (int d = 0; d < axis; d++) pre *= (int) shape[d];
        for (int d = axis + 1; d < shape.length; d++) post *= (int) shape[d];
        int dim = pre * post;
        if (pre == 1) return new GroundMetric.Features(s.x(), n, dim); // the first axis: already rows (shared, read-only)
        if (post == 1) return new GroundMetric.Features(Dense.transpose(s.x(), pre, n), n, dim, true); // the last axis: a transpose
        float[] out = new float[n * dim];
        for (int p = 0; p < pre; p++) {
            for (int i = 0; i < n; i++) System.arraycopy(s.x(), (p * n + i) * post, out, i * dim + p * post, post);
        }
        return new GroundMetric.Features(out, n, dim, true);
    }

    TransportMap.Norm norm(ArchSpec.Dir dir) {
        return switch (o.tmapNorm) {
            case "rows" -> TransportMap.Norm.ROWS;
            case "columns" -> TransportMap.Norm.COL_STOCHASTIC;
            default -> dir == ArchSpec.Dir.OUT ? TransportMap.Norm.COL_STOCHASTIC : TransportMap.Norm.ROW_STOCHASTIC;
        };
    }

    // ---------------------------------------------------------------- tensors

    private void fuseTensor(Plan.Tensor t, Map<String, float[]> fused, Map<String, long[]> shapes) {
        long tf = Profile.start();
        long[] target = shape(anchor, t.name());
        float[] acc = new float[(int) numel(target)];
        for (int k = 0; k < models.size(); k++) {
            double w = o.weight(k, models.size(), t.encoder());
            Moved part = moved.remove(k + "\u0000" + t.name());
            float[] kept = k == anchor ? anchorKept.remove(t.name()) : null;
            if (w == 0) continue;
            Shaped x;
            if (k == anchor) {
                x = new Shaped(kept != null ? kept : read(k, t.name()), target);
            } else if (part != null) {
                // finish the tensor the cost step already moved on its other axes
                TransportMap.Matrix mat = map(t.spaces().get(part.axis()), k).normalised(norm(t.dirs().get(part.axis())));
                long[] sh = part.x().shape().clone();
                float[] v = Transport.apply(part.x().x(), sh, part.axis(), mat);
                io.otfuse.ot.ArrayPool.give(part.x().x()); // its cost features were copies
                sh[part.axis()] = mat.m();
                x = new Shaped(v, sh);
            } else {
                x = moveOthers(t, k, -1);
            }
            if (!Arrays.equals(x.shape(), target)) {
                throw new OtfuseException(ExitCode.INCOMPATIBLE_MODELS, "tensor " + t.name() + ": model " + k + " has shape " + Arrays.toString(shape(k, t.name()))
                        + " which does not match the anchor's " + Arrays.toString(target) + " on its fixed axes (vocabulary, positions, classes, patch size)");
            }
            RowKernels.addScaled(acc, x.x(), (float) w); // a method of its own: fuseTensor itself never gets hot enough to compile
            io.otfuse.ot.ArrayPool.give(x.x()); // read, moved or kept for this tensor alone
        }
        if (spill != null) {
            spill.put(t.name(), acc);
            fused.put(t.name(), null);
        } else {
            fused.put(t.name(), acc);
        }
        shapes.put(t.name(), target);
        Profile.add("fuse.tensor", tf);
    }

    /**
     * Anchor tensors read for a cost, kept until they are fused (when {@link #cacheMoved}): each is read once. Tensors
     * above {@link #KEEP_READ_FLOATS} are read again instead (an embedding matrix would double the live heap).
     */
    private final Map<String, float[]> anchorKept = new java.util.concurrent.ConcurrentHashMap<>();
    private static final long KEEP_READ_FLOATS = 8L << 20;

    private float[] anchorTensor(String name) {
        if (!cacheMoved || numel(shape(anchor, name)) > KEEP_READ_FLOATS) return read(anchor, name);
        return anchorKept.computeIfAbsent(name, x -> read(anchor, x));
    }

    /**
     * Whether model k's tensor, moved for a cost on every axis but {@code axis}, is kept for fusing: when a move was
     * done (GEMMs saved) or the tensor is small; a large tensor with nothing moved is cheaper to read again.
     */
    private boolean worthKeeping(Plan.Tensor t, int k, int axis) {
        if (numel(shape(k, t.name())) <= KEEP_READ_FLOATS) return true;
        for (int a = 0; a < t.spaces().size(); a++) if (a != axis && t.spaces().get(a) != null) return true;
        return false;
    }

    private Plan.Tensor tensor(String name) {
        for (Plan.Tensor t : plan.tensors()) if (t.name().equals(name)) return t;
        throw new IllegalStateException("no tensor " + name);
    }

    private float[] read(int k, String name) {
        long t0 = Profile.start();
        long numel = numel(shape(k, name));
        // large tensors are read into an array handed back by an earlier move or fusing step of the same size
        float[] x = numel >= io.otfuse.ot.ArrayPool.MIN_LENGTH && numel < Integer.MAX_VALUE - 8
                ? models.get(k).readFloats(name, io.otfuse.ot.ArrayPool.floats((int) numel)) : models.get(k).readFloats(name);
        if (!o.allowNonfinite) io.otfuse.io.Tensors.requireFinite(x, models.get(k).dir() + ": tensor '" + models.get(k).stored(name) + "'");
        Profile.add("read", t0);
        return x;
    }

    private long[] shape(int k, String name) {
        return models.get(k).info(name).shape();
    }

    static long numel(long[] s) {
        long n = 1;
        for (long d : s) n *= d;
        return n;
    }
}
