package io.otfuse.fusion;

import io.otfuse.io.Checkpoint;
import io.otfuse.io.ExitCode;
import io.otfuse.io.ModelConfig;
import io.otfuse.io.OtfuseException;
import io.otfuse.io.VitConfig;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Activation features for activation-based alignment (method.md §10): the same samples through every model,
 * recorded at the taps the spec names; tokens filtered (all, cls, centred k x k window of the patch grid,
 * cls only on the last layer); each neuron's column standardised / centred / L2-normalised. A space whose
 * taps are parameters rather than modules (ViT cls token, position embeddings) uses its weights, as the
 * reference does.
 */
public final class Activations implements AutoCloseable {
    /**
     * One module's kept activations of one model: {@code rows x width} (samples x kept tokens), in the heap ({@code data})
     * or in the scratch file under {@code key}; {@code filled} rows have arrived so far.
     */
    private static final class Tap {
        final String key;
        final int rows, width, tokens;
        final float[] data;
        int filled;

        Tap(String key, int rows, int width, int tokens, float[] data) {
            this.key = key;
            this.rows = rows;
            this.width = width;
            this.tokens = tokens;
            this.data = data;
        }
    }

    private final List<Map<String, Tap>> byModel;
    private final FusionOptions o;
    private final ModelConfig anchorCfg;
    /** Where the activations live when all models' would take more than a quarter of the heap (null: in the heap). */
    private FusedSpill spill;
    private float[] readBack; // see data(Tap)

    private Activations(List<Map<String, Tap>> byModel, FusionOptions o, ModelConfig anchorCfg) {
        this.byModel = byModel;
        this.o = o;
        this.anchorCfg = anchorCfg;
    }

    @Override
    public void close() {
        if (spill != null) spill.close();
        spill = null;
    }

    /**
     * The rows of a tap: its array in the heap, or, when spilled, read back into one array kept for every read (valid
     * until the next call; it may be longer than the tap).
     */
    private float[] data(Tap t) {
        if (t.data != null) return t.data;
        if (readBack == null || readBack.length < t.rows * t.width) readBack = new float[t.rows * t.width];
        spill.read(t.key, readBack);
        return readBack;
    }

    /**
     * Runs every model on the samples and keeps the filtered tokens of each tap as the source hands them over. When the
     * activations of all models would take more than a quarter of the heap ({@code -Dotfuse.spill=auto};
     * {@code always} / {@code never} force it), they go straight to a scratch file at {@code scratch} (a temporary file
     * when null), and are read back one space at a time.
     */
    static Activations collect(List<Checkpoint> models, FusionOptions o, Plan plan, ActivationSource source, java.nio.file.Path scratch) {
        String mode = System.getProperty("otfuse.spill", "auto");
        long budget = mode.equals("always") ? -1 : mode.equals("never") ? Long.MAX_VALUE : Runtime.getRuntime().maxMemory() / 4;
        return collect(models, o, plan, source, scratch, budget);
    }

    /**
     * {@link #collect(List, FusionOptions, Plan, ActivationSource, java.nio.file.Path)} with the heap budget of the
     * activations: the first module of the first model that takes all models' activations past {@code budget} bytes
     * moves the rows kept so far to the scratch file, and everything after goes there too.
     */
    static Activations collect(List<Checkpoint> models, FusionOptions o, Plan plan, ActivationSource source, java.nio.file.Path scratch, long budget) {
        if (source == null) {
            throw new OtfuseException(ExitCode.USAGE, "--align activations (and --residual weighted-*) need a source of model activations");
        }
        String data = o.data != null ? o.data : source.defaultData(models.get(o.anchor).config().family());
        if (data == null) throw new OtfuseException(ExitCode.USAGE, "--align activations needs --data SPEC (the samples to run)");
        Set<String> modules = new LinkedHashSet<>();
        for (Plan.Space sp : plan.spaces()) for (String t : sp.taps()) modules.addAll(List.of(t.split("\\+")));
        // modules read by last-layer spaces that keep only the cls token
        Set<String> clsOnly = new java.util.HashSet<>();
        ModelConfig anchorCfg = models.get(o.anchor).config();
        for (Plan.Space sp : plan.spaces()) {
            if (o.lastLayerCls && sp.lastLayerCls() && sp.layer() == anchorCfg.numHiddenLayers - 1) clsOnly.addAll(sp.taps());
        }
        Activations a = new Activations(new ArrayList<>(), o, anchorCfg);
        long[] planned = {0}; // bytes of all models' activations of the modules seen so far
        try {
            for (int k = 0; k < models.size(); k++) {
                Map<String, Tap> kept = new java.util.HashMap<>();
                String model = k + "\u0000";
                boolean first = k == 0;
                source.collect(models.get(k).dir(), List.copyOf(modules), new ActivationSource.Samples(data, o.samples, o.seed), out -> {
                    boolean cls = clsOnly.contains(out.module());
                    Tap t = kept.get(out.module());
                    if (t == null) {
                        if (first && a.spill == null) {
                            planned[0] += 4L * a.keptPerSample(out.tokens(), cls) * o.samples * out.width() * models.size();
                            if (planned[0] > budget) a.spillFrom(kept, scratch);
                        }
                        t = a.tap(model + out.module(), out, cls);
                        kept.put(out.module(), t);
                    }
                    a.append(t, out, cls);
                });
                for (Tap t : kept.values()) {
                    if (t.filled != t.rows) throw new OtfuseException(ExitCode.INTERNAL, "the activation source gave " + t.filled + " of " + t.rows + " rows of " + name(t));
                }
                a.byModel.add(kept);
            }
        } catch (RuntimeException | Error e) {
            a.close();
            throw e;
        }
        return a;
    }

    private static String name(Tap t) {
        return t.key.substring(t.key.indexOf('\u0000') + 1);
    }

    /** Creates the scratch file and moves the taps kept so far into it. */
    private void spillFrom(Map<String, Tap> kept, java.nio.file.Path scratch) {
        java.nio.file.Path file = scratch;
        try {
            if (file == null) { // a fresh temporary name (FusedSpill creates the file itself)
                file = java.nio.file.Files.createTempFile("otfuse-activations", ".scratch");
                java.nio.file.Files.delete(file);
            }
        } catch (java.io.IOException e) {
            throw new OtfuseException(ExitCode.IO_FAILURE, "cannot create a scratch file for the activations (" + e.getMessage() + ")", e);
        }
        spill = new FusedSpill(file);
        kept.replaceAll((mod, t) -> {
            spill.reserve(t.key, (long) t.rows * t.width);
            ByteBuffer b = ByteBuffer.allocate(4 * t.filled * t.width).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(t.data, 0, t.filled * t.width);
            spill.write(t.key, 0, b);
            Tap moved = new Tap(t.key, t.rows, t.width, t.tokens, null);
            moved.filled = t.filled;
            return moved;
        });
    }

    /** Room for a module's kept rows of every sample: an array in the heap, or a reserved stretch of the scratch file. */
    private Tap tap(String key, ActivationSource.Outputs first, boolean clsOnly) {
        long rows = (long) keptPerSample(first.tokens(), clsOnly) * o.samples;
        long n = rows * first.width();
        if (n > Integer.MAX_VALUE - 8) throw new OtfuseException(ExitCode.USAGE, "the activations of " + first.module() + " are too many for one array (fewer --samples)");
        if (spill == null) return new Tap(key, (int) rows, first.width(), first.tokens(), new float[(int) n]);
        spill.reserve(key, n);
        return new Tap(key, (int) rows, first.width(), first.tokens(), null);
    }

    /** Appends the kept tokens of one batch, copied (or written to the scratch file) run by run of consecutive kept tokens. */
    private void append(Tap t, ActivationSource.Outputs out, boolean clsOnly) {
        if (out.width() != t.width || out.tokens() != t.tokens) {
            throw new OtfuseException(ExitCode.INTERNAL, "activations of " + out.module() + " change shape between samples");
        }
        if (t.filled + keptPerSample(out.tokens(), clsOnly) * out.samples() > t.rows) {
            throw new OtfuseException(ExitCode.INTERNAL, "the activation source gave more than " + o.samples + " samples of " + out.module());
        }
        ByteBuffer values = out.values();
        FloatBuffer floats = values.asFloatBuffer();
        int w = t.width, n = out.tokens();
        for (int smp = 0; smp < out.samples(); smp++) {
            for (int tok = 0; tok < n; ) {
                if (!keep(tok, n, clsOnly)) {
                    tok++;
                    continue;
                }
                int end = tok + 1;
                while (end < n && keep(end, n, clsOnly)) end++;
                int from = (smp * n + tok) * w, len = (end - tok) * w;
                if (t.data != null) {
                    floats.get(from, t.data, t.filled * w, len);
                } else {
                    int at = values.position() + 4 * from;
                    spill.write(t.key, (long) t.filled * w, values.duplicate().order(values.order()).limit(at + 4 * len).position(at));
                }
                t.filled += end - tok;
                tok = end;
            }
        }
    }

    private int keptPerSample(int tokens, boolean clsOnly) {
        int n = 0;
        for (int tok = 0; tok < tokens; tok++) if (keep(tok, tokens, clsOnly)) n++;
        return n;
    }

    /** Features of model k and the anchor for a solved space, or null when its taps are not module outputs. */
    GroundMetric.Features[] features(Plan.Space sp, int k, int anchor) {
        List<String> taps = new ArrayList<>();
        for (String tap : sp.taps()) {
            // a tap that is a parameter, not a module (ViT cls token, position embeddings), has no activations
            if (byModel.get(k).containsKey(tap) && byModel.get(anchor).containsKey(tap)) taps.add(tap);
        }
        if (taps.isEmpty()) return null;
        // joint Q/K: neurons of both taps stacked in the same (Q, K) order as the weights (the reference mixes them, Q3)
        boolean stacked = sp.blocks() > 1;
        return new GroundMetric.Features[] {joined(byModel.get(k), taps, stacked), joined(byModel.get(anchor), taps, stacked)};
    }

    /**
     * The taps' normalised neurons in one array, as columns of a [samples x neurons] matrix (the layout the activations
     * arrive in, and one the engine multiplies as well as rows: no transpose), each tap's block written straight into
     * its place: stacked (the neurons of one tap after those of the other, on the same samples) or side by side (the
     * same neurons, the samples of one tap above those of the other).
     */
    private GroundMetric.Features joined(Map<String, Tap> acts, List<String> taps, boolean stacked) {
        int rows = 0, dim = 0;
        for (String tap : taps) {
            Tap t = acts.get(tap);
            if (stacked ? dim > 0 && t.rows != dim : rows > 0 && t.width != rows) {
                throw new OtfuseException(ExitCode.INTERNAL, "the activations of " + String.join(", ", taps) + " disagree on shape");
            }
            if (stacked) {
                rows += t.width;
                dim = t.rows;
            } else {
                rows = t.width;
                dim += t.rows;
            }
        }
        float[] x = io.otfuse.ot.ArrayPool.floats(Math.multiplyExact(rows, dim)); // every entry is written: the taps tile it
        int at = 0;
        for (String tap : taps) {
            Tap t = acts.get(tap);
            neuronColumns(data(t), t.rows, t.width, x, stacked ? at : at * rows, rows, o.actNorm);
            at += stacked ? t.width : t.rows;
        }
        return GroundMetric.Features.columns(x, rows, dim);
    }

    boolean keep(int tok, int tokens, boolean clsOnly) {
        int grid = anchorCfg instanceof VitConfig v && tokens == v.seqLength() ? v.gridSize() : -1;
        return keepToken(o.tokens, tok, tokens, grid, clsOnly);
    }

    /**
     * Token filter: {@code all}, {@code cls} (token 0), or {@code window-K}: the cls token plus the centred K x K
     * window of a {@code grid x grid} patch grid (rows and columns {@code (g-K)/2 .. (g-K)/2+K-1}, as the
     * reference's masks on its 8 x 8 grid). Outputs without a cls + grid layout ({@code grid < 0}) keep all tokens.
     */
    static boolean keepToken(String filter, int tok, int tokens, int grid, boolean clsOnly) {
        if (tokens == 1) return true;
        if (clsOnly || filter.equals("cls")) return tok == 0;
        if (filter.equals("all") || grid < 0) return true;
        int k = Integer.parseInt(filter.substring("window-".length()));
        if (tok == 0 || k >= grid) return true;
        int start = (grid - k) / 2;
        int r = (tok - 1) / grid, c = (tok - 1) % grid;
        return r >= start && r < start + k && c >= start && c < start + k;
    }

    /**
     * Each column j of the row-major [r x w] matrix normalised as one neuron by {@code norm} (statistics accumulated row
     * by row, only those the mode needs), sample i written to {@code out[at + i * stride + j]}.
     */
    static void neuronColumns(float[] rows, int r, int w, float[] out, int at, int stride, String norm) {
        boolean standardise = norm.equals("standardise"), centre = standardise || norm.equals("centre"), l2 = norm.equals("l2");
        if (!centre && !l2) {
            for (int i = 0; i < r; i++) System.arraycopy(rows, i * w, out, at + i * stride, w);
            return;
        }
        double[] shift = new double[w], scale = new double[w];
        java.util.Arrays.fill(scale, 1);
        if (centre) {
            for (int i = 0; i < r; i++) RowKernels.addColumns(rows, i * w, w, shift);
            for (int j = 0; j < w; j++) shift[j] /= r;
        }
        if (standardise || l2) {
            double[] sq = new double[w];
            for (int i = 0; i < r; i++) RowKernels.addSquaredColumns(rows, i * w, w, standardise ? shift : null, sq);
            for (int j = 0; j < w; j++) scale[j] = (standardise ? Math.sqrt(sq[j] / Math.max(1, r - 1)) : Math.sqrt(sq[j])) + 1e-9;
        }
        for (int i = 0; i < r; i++) RowKernels.standardiseColumns(rows, i * w, w, shift, scale, out, at + i * stride);
    }

    /** A module's kept rows, or the element-wise sum of several ({@code A+B}). */
    private Tap summed(Map<String, Tap> acts, String tap) {
        float[] out = null;
        Tap first = null;
        for (String mod : tap.split("\\+")) {
            Tap a = acts.get(mod);
            if (a == null) throw new OtfuseException(ExitCode.INTERNAL, "the activation source returned no output for module " + mod);
            float[] x = data(a);
            if (out == null) {
                first = a;
                out = Arrays.copyOf(x, a.rows * a.width);
            } else {
                if (a.rows != first.rows || a.width != first.width) throw new OtfuseException(ExitCode.INTERNAL, "modules of " + tap + " disagree on shape");
                for (int i = 0; i < out.length; i++) out[i] += x[i];
            }
        }
        return new Tap(tap, first.rows, first.width, first.tokens, out);
    }

    /** Mean |activation| of the anchor at each join input, one value per anchor neuron. */
    double[][] joinMagnitudes(Plan.Space sp, boolean perNeuron) {
        List<String> taps = sp.taps();
        if (taps.size() != sp.joinInputs().size()) {
            // e.g. the embedding join, whose inputs are parameters: weigh them equally
            double[][] eq = new double[sp.joinInputs().size()][anchorCfg.hiddenSize];
            for (double[] e : eq) Arrays.fill(e, 1);
            return eq;
        }
        double[][] out = new double[taps.size()][];
        for (int t = 0; t < taps.size(); t++) {
            Tap a = summed(byModel.get(o.anchor), taps.get(t));
            int w = a.width;
            float[] x = a.data;
            double[] mag = new double[w];
            long cnt = a.rows;
            for (int i = 0; i < a.rows; i++) for (int j = 0; j < w; j++) mag[j] += Math.abs(x[i * w + j]);
            double all = 0;
            for (int j = 0; j < w; j++) {
                mag[j] /= cnt;
                all += mag[j] / w;
            }
            if (!perNeuron) Arrays.fill(mag, all);
            out[t] = mag;
        }
        return out;
    }
}
