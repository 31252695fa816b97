package io.otfuse.fusion;

import io.otfuse.io.ExitCode;
import io.otfuse.io.OtfuseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every knob of a fusion run. {@link #preset(String)} gives the values of a preset; the command line and
 * the YAML file then override single fields. Field names are the YAML keys (see {@link #KEYS}).
 */
public final class FusionOptions implements Cloneable {
    // --- what to align with
    public String preset = "default";
    public String align = "weights";            // weights | activations
    public String solver = "emd";               // emd | sinkhorn | sinkhorn-widening
    public double reg = 0.06;                   // Sinkhorn lambda
    public int sinkhornMaxIter = 1000;
    public double sinkhornStopThr = 1e-9;
    // --- flow graph
    public String topology = "shared-stream";   // per-join (reference) | shared-stream
    public String qk = "shared";                // separate | shared | joint
    public String residual = "mean";            // mean | only-skip | only-branch | identity | weighted-scalar | weighted-neuron
    public String clsMap = "stream";            // own (reference quirk Q5) | stream
    public boolean headAware = true;            // match heads as blocks first (one matching for Q, K, V), then neurons inside
    public boolean referenceAxes = false;       // per-tensor quirks the spec marks (BERT Q13)
    public int refine = 0;                      // shared-stream: re-solve the stream from all its readers/writers, then the rest, N times
    // --- transport maps and averaging
    public String tmapNorm = "proper";          // rows (T*n0, reference) | columns | proper (out: columns, in: rows)
    public boolean encoderHalfAlpha = false;    // reference quirk Q2: anchor weight 1/2 inside encoder layers when N > 2
    public double[] weights = null;             // per-model averaging weights, uniform when null
    public int anchor = 0;
    // --- ground metric
    public String weightNorm = "rms";           // row-l2 | max | abs-max | rms | none
    public boolean normAfterConcat = false;     // normalise concatenated features as one (reference) or per source
    public String metric = "euclidean";         // euclidean | sq-euclidean | cosine
    public String costNorm = "max";             // max | mean | median | log | none
    public double[] clip = null;                // [min, max] multiplied by clipReg
    public double clipReg = 0.01;
    // --- activations
    public String data = null;
    public int samples = 200;
    public String tokens = "all";               // all | cls | window-K
    public boolean lastLayerCls = true;
    public String actNorm = "standardise";      // standardise | centre | l2 | none
    public int pca = 0;
    public long seed = 0;
    // --- output
    public String dtype = null;
    /** Largest shard of the written weights (e.g. "5GB"); null writes one file. */
    public String maxShardSize = null;
    /** Proceed with NaN/Inf weights instead of refusing them (exit code 7). */
    public boolean allowNonfinite = false;

    /** The YAML keys, in the order they are documented. */
    public static final List<String> KEYS = List.of("preset", "align", "solver", "reg", "sinkhorn-max-iter",
            "sinkhorn-stop-thr", "topology", "qk", "residual", "cls-map", "head-aware", "reference-axes", "refine", "tmap-norm",
            "encoder-half-alpha", "weights", "anchor", "weight-norm", "norm-after-concat", "metric", "cost-norm", "clip",
            "clip-reg", "data", "samples", "tokens", "last-layer-cls", "act-norm", "pca", "seed", "dtype", "max-shard-size", "allow-nonfinite");

    public static FusionOptions preset(String name) {
        FusionOptions o = new FusionOptions();
        switch (name) {
            case "default" -> { }
            case "official" -> {
                o.preset = "official";
                o.align = "activations";
                o.solver = "sinkhorn";
                o.reg = 0.08;
                o.topology = "per-join";
                o.qk = "separate";
                o.headAware = false;
                o.residual = "mean";
                o.clsMap = "own";
                o.referenceAxes = true;
                o.tmapNorm = "rows";
                o.encoderHalfAlpha = true;
                o.weightNorm = "row-l2";
                o.normAfterConcat = true;
                o.metric = "euclidean";
                o.costNorm = "max";
                o.samples = 200;
                o.tokens = "window-6";
                o.lastLayerCls = true;
                o.actNorm = "standardise";
                o.anchor = 0;
            }
            default -> throw new OtfuseException(ExitCode.USAGE, "--preset: unknown preset '" + name + "' (valid: official, default)");
        }
        return o;
    }

    /** Checks every value; throws a one-line usage error naming the option. */
    public void validate(int numModels) {
        oneOf("align", align, "weights", "activations");
        oneOf("solver", solver, "emd", "sinkhorn", "sinkhorn-widening");
        if (!(reg > 0) || Double.isInfinite(reg)) throw usage("--reg must be a positive number, got " + reg);
        oneOf("topology", topology, "per-join", "shared-stream");
        oneOf("qk", qk, "separate", "shared", "joint");
        oneOf("residual", residual, "mean", "only-skip", "only-branch", "identity", "weighted-scalar", "weighted-neuron");
        oneOf("cls-map", clsMap, "own", "stream");
        oneOf("tmap-norm", tmapNorm, "rows", "columns", "proper");
        oneOf("weight-norm", weightNorm, "row-l2", "max", "abs-max", "rms", "none");
        oneOf("metric", metric, "euclidean", "sq-euclidean", "cosine");
        oneOf("cost-norm", costNorm, "max", "mean", "median", "log", "none");
        oneOf("act-norm", actNorm, "standardise", "centre", "l2", "none");
        if (!tokens.equals("all") && !tokens.equals("cls") && !tokens.matches("window-[1-9][0-9]*")) {
            throw usage("--tokens must be all, cls or window-K (K >= 1), got '" + tokens + "'");
        }
        if (refine < 0) throw usage("refine must be >= 0, got " + refine);
        if (refine > 0 && !topology.equals("shared-stream")) throw usage("refine needs topology shared-stream");
        if (refine > 0 && metric.equals("cosine")) throw usage("refine needs a euclidean metric");
        if (sinkhornMaxIter < 1) throw usage("sinkhorn-max-iter must be >= 1");
        if (samples < 1) throw usage("--samples must be >= 1, got " + samples);
        if (clip != null && (clip.length != 2 || !(clip[0] <= clip[1]))) throw usage("clip must be [min, max] with min <= max");
        if (numModels < 2) throw usage("fusion needs at least 2 models, got " + numModels);
        if (anchor < 0 || anchor >= numModels) throw usage("--anchor " + anchor + " is out of range: give 0.." + (numModels - 1));
        if (weights != null) {
            if (weights.length != numModels) throw usage("--weights has " + weights.length + " values for " + numModels + " models");
            double s = 0;
            for (double w : weights) {
                if (!(w >= 0) || Double.isInfinite(w)) throw usage("--weights must be non-negative, got " + w);
                s += w;
            }
            if (Math.abs(s - 1) > 1e-6) throw usage("--weights must sum to 1, they sum to " + s);
            if (encoderHalfAlpha && numModels > 2) throw usage("--weights cannot be combined with encoder-half-alpha (the reference's N > 2 rule)");
        }
        if (align.equals("weights") && residual.startsWith("weighted")) {
            throw usage("--residual " + residual + " weighs maps by activation magnitudes: it needs --align activations");
        }
        if (pca < 0) throw usage("--pca must be >= 0 (0: off), got " + pca);
        if (pca > 0 && !align.equals("activations")) throw usage("--pca projects activations: it needs --align activations");
    }

    /** Averaging weight of model k for a tensor inside (encoder) or outside the encoder layers. */
    public double weight(int k, int numModels, boolean encoderTensor) {
        if (encoderHalfAlpha && encoderTensor && numModels > 2) {
            return k == anchor ? 0.5 : 0.5 / (numModels - 1);
        }
        return weights == null ? 1.0 / numModels : weights[k];
    }

    private static void oneOf(String key, String v, String... valid) {
        for (String s : valid) if (s.equals(v)) return;
        throw usage("--" + key + ": '" + v + "' is not one of " + String.join(", ", valid));
    }

    static OtfuseException usage(String msg) {
        return new OtfuseException(ExitCode.USAGE, msg);
    }

    @Override
    public FusionOptions clone() {
        try {
            FusionOptions o = (FusionOptions) super.clone();
            if (weights != null) o.weights = weights.clone();
            if (clip != null) o.clip = clip.clone();
            return o;
        } catch (CloneNotSupportedException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Sets one option by its YAML key from a parsed YAML/flag value (string, number, boolean or list).
     * Unknown keys are a usage error listing the valid ones.
     */
    public void set(String key, Object v) {
        try {
            switch (key) {
                case "preset" -> preset = str(v);
                case "align" -> align = str(v);
                case "solver" -> solver = str(v);
                case "reg" -> reg = num(v);
                case "sinkhorn-max-iter" -> sinkhornMaxIter = integer(v);
                case "sinkhorn-stop-thr" -> sinkhornStopThr = num(v);
                case "topology" -> topology = str(v);
                case "qk" -> qk = str(v);
                case "residual" -> residual = str(v);
                case "cls-map" -> clsMap = str(v);
                case "head-aware" -> headAware = bool(v);
                case "reference-axes" -> referenceAxes = bool(v);
                case "refine" -> refine = integer(v);
                case "tmap-norm" -> tmapNorm = str(v);
                case "encoder-half-alpha" -> encoderHalfAlpha = bool(v);
                case "weights" -> weights = v == null ? null : nums(v);
                case "anchor" -> anchor = integer(v);
                case "weight-norm" -> weightNorm = str(v);
                case "norm-after-concat" -> normAfterConcat = bool(v);
                case "metric" -> metric = str(v);
                case "cost-norm" -> costNorm = str(v);
                case "clip" -> clip = v == null ? null : nums(v);
                case "clip-reg" -> clipReg = num(v);
                case "data" -> data = v == null ? null : str(v);
                case "samples" -> samples = integer(v);
                case "tokens" -> tokens = str(v);
                case "last-layer-cls" -> lastLayerCls = bool(v);
                case "act-norm" -> actNorm = str(v);
                case "pca" -> pca = integer(v);
                case "seed" -> seed = longInteger(v);
                case "dtype" -> dtype = v == null ? null : str(v);
                case "max-shard-size" -> {
                    maxShardSize = v == null ? null : str(v);
                    if (maxShardSize != null) io.otfuse.io.ByteSizes.parse(maxShardSize, "max-shard-size"); // refuse bad sizes before any work
                }
                case "allow-nonfinite" -> allowNonfinite = bool(v);
                default -> throw usage("unknown option '" + key + "' (valid: " + String.join(", ", KEYS) + ")");
            }
        } catch (NumberFormatException | ClassCastException | ArithmeticException e) {
            throw usage("option '" + key + "': cannot use value '" + v + "'");
        }
    }

    private static String str(Object v) {
        if (v == null) throw new ClassCastException();
        return v.toString();
    }

    private static double num(Object v) {
        if (v instanceof Number n) return n.doubleValue();
        return Double.parseDouble(str(v).trim());
    }

    /** An integer value: a whole number within the int range (1.5 or 1e12 are refused, not truncated). */
    private static int integer(Object v) {
        long x = longInteger(v);
        if (x < Integer.MIN_VALUE || x > Integer.MAX_VALUE) throw new ClassCastException();
        return (int) x;
    }

    private static long longInteger(Object v) {
        if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) return ((Number) v).longValue();
        if (v instanceof java.math.BigInteger b) return b.longValueExact();
        double d = num(v);
        if (!(d == Math.rint(d)) || Math.abs(d) > 9.0e15) throw new ClassCastException();
        return (long) d;
    }

    private static boolean bool(Object v) {
        if (v instanceof Boolean b) return b;
        String s = str(v).trim().toLowerCase();
        if (s.equals("true")) return true;
        if (s.equals("false")) return false;
        throw new ClassCastException();
    }

    private static double[] nums(Object v) {
        if (v instanceof java.util.List<?> l) {
            double[] r = new double[l.size()];
            for (int i = 0; i < r.length; i++) r[i] = num(l.get(i));
            return r;
        }
        String[] parts = str(v).split(",");
        double[] r = new double[parts.length];
        for (int i = 0; i < r.length; i++) r[i] = Double.parseDouble(parts[i].trim());
        return r;
    }

    /** The resolved options as an ordered map (saved next to the output as YAML). */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("preset", preset);
        m.put("align", align);
        m.put("solver", solver);
        m.put("reg", reg);
        m.put("sinkhorn-max-iter", sinkhornMaxIter);
        m.put("sinkhorn-stop-thr", sinkhornStopThr);
        m.put("topology", topology);
        m.put("qk", qk);
        m.put("residual", residual);
        m.put("cls-map", clsMap);
        m.put("head-aware", headAware);
        m.put("reference-axes", referenceAxes);
        m.put("refine", refine);
        m.put("tmap-norm", tmapNorm);
        m.put("encoder-half-alpha", encoderHalfAlpha);
        m.put("weights", weights == null ? null : java.util.Arrays.stream(weights).boxed().toList());
        m.put("anchor", anchor);
        m.put("weight-norm", weightNorm);
        m.put("norm-after-concat", normAfterConcat);
        m.put("metric", metric);
        m.put("cost-norm", costNorm);
        m.put("clip", clip == null ? null : java.util.Arrays.stream(clip).boxed().toList());
        m.put("clip-reg", clipReg);
        m.put("data", data);
        m.put("samples", samples);
        m.put("tokens", tokens);
        m.put("last-layer-cls", lastLayerCls);
        m.put("act-norm", actNorm);
        m.put("pca", pca);
        m.put("seed", seed);
        m.put("dtype", dtype);
        m.put("max-shard-size", maxShardSize);
        m.put("allow-nonfinite", allowNonfinite);
        return m;
    }
}
