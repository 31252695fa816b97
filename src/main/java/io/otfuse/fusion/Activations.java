package io.otfuse.fusion;

import io.otfuse.io.Checkpoint;
import io.otfuse.io.ExitCode;
import io.otfuse.io.ModelConfig;
import io.otfuse.io.OtfuseException;
import io.otfuse.io.VitConfig;
import java.util.ArrayList;
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
    /** One module's kept activations of one model: {@code rows x width} (samples x kept tokens), in the heap or spilled. */
    private record Tap(String key, int rows, int width, float[] data) {}

    private final List<Map<String, Tap>> byModel;
    private final FusionOptions o;
    private final ModelConfig anchorCfg;
    /** Where the activations live when all models' would take more than a quarter of the heap (null: in the heap). */
    private FusedSpill spill;

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

    /** The rows of a tap (read back from the scratch file when spilled). */
    private float[] data(Tap t) {
        return t.data() != null ? t.data() : spill.floats(t.key());
    }

    /**
     * Runs every model on the samples and keeps the filtered tokens of each tap. When the activations of all models
     * would take more than a quarter of the heap ({@code -Dotfuse.spill=auto}; {@code always} / {@code never} force it),
     * they go to a scratch file at {@code scratch} (a temporary file when null) as each model finishes, and are read
     * back one space at a time.
     */
    static Activations collect(List<Checkpoint> models, FusionOptions o, Plan plan, ActivationSource source, java.nio.file.Path scratch) {
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
        try {
            for (int k = 0; k < models.size(); k++) {
                Map<String, List<float[][]>> raw = source.collect(models.get(k).dir(), List.copyOf(modules), new ActivationSource.Samples(data, o.samples, o.seed));
                Map<String, Tap> kept = new java.util.HashMap<>();
                long bytes = 0;
                for (Map.Entry<String, List<float[][]>> e : raw.entrySet()) {
                    Tap t = a.keptRows(k + "\u0000" + e.getKey(), e.getValue(), clsOnly.contains(e.getKey()));
                    kept.put(e.getKey(), t);
                    bytes += 4L * t.rows() * t.width();
                }
                raw = null; // the source's arrays can go before the next model runs
                if (k == 0 && a.shouldSpill(bytes * models.size())) {
                    java.nio.file.Path file = scratch;
                    if (file == null) { // a fresh temporary name (FusedSpill creates the file itself)
                        file = java.nio.file.Files.createTempFile("otfuse-activations", ".scratch");
                        java.nio.file.Files.delete(file);
                    }
                    a.spill = new FusedSpill(file);
                }
                if (a.spill != null) kept.replaceAll((mod, t) -> a.spilled(t));
                a.byModel.add(kept);
            }
        } catch (java.io.IOException e) {
            a.close();
            throw new OtfuseException(ExitCode.IO_FAILURE, "cannot create a scratch file for the activations (" + e.getMessage() + ")", e);
        } catch (RuntimeException | Error e) {
            a.close();
            throw e;
        }
        return a;
    }

    private boolean shouldSpill(long bytes) {
        String mode = System.getProperty("otfuse.spill", "auto");
        if (mode.equals("always")) return true;
        if (mode.equals("never")) return false;
        return bytes > Runtime.getRuntime().maxMemory() / 4;
    }

    private Tap spilled(Tap t) {
        if (t.data() == null) return t;
        spill.put(t.key(), t.data());
        return new Tap(t.key(), t.rows(), t.width(), null);
    }

    /** The kept tokens of every sample, one after the other, as one {@code rows x width} array. */
    private Tap keptRows(String key, List<float[][]> samples, boolean clsOnly) {
        int rows = 0, width = -1;
        for (float[][] smp : samples) {
            for (int tok = 0; tok < smp.length; tok++) {
                if (!keep(tok, smp.length, clsOnly)) continue;
                if (width < 0) width = smp[tok].length;
                else if (smp[tok].length != width) throw new OtfuseException(ExitCode.INTERNAL, "activations of " + key.substring(key.indexOf('\u0000') + 1) + " change width between samples");
                rows++;
            }
        }
        float[] x = new float[rows * Math.max(0, width)];
        int r = 0;
        for (float[][] smp : samples) {
            for (int tok = 0; tok < smp.length; tok++) {
                if (!keep(tok, smp.length, clsOnly)) continue;
                System.arraycopy(smp[tok], 0, x, r++ * width, width);
            }
        }
        return new Tap(key, rows, Math.max(0, width), x);
    }

    /** Features of model k and the anchor for a solved space, or null when its taps are not module outputs. */
    GroundMetric.Features[] features(Plan.Space sp, int k, int anchor) {
        List<GroundMetric.Features> fk = new ArrayList<>(), fa = new ArrayList<>();
        for (String tap : sp.taps()) {
            Tap ak = byModel.get(k).get(tap), aa = byModel.get(anchor).get(tap);
            if (ak == null || aa == null) continue; // a parameter, not a module (ViT cls token, position embeddings)
            fk.add(neuronRows(data(ak), ak.rows(), ak.width()));
            fa.add(neuronRows(data(aa), aa.rows(), aa.width()));
        }
        if (fk.isEmpty()) return null;
        if (sp.blocks() > 1) {
            // joint Q/K: neurons of both taps stacked in the same (Q, K) order as the weights (the reference mixes them, Q3)
            return new GroundMetric.Features[] {GroundMetric.stack(fk.toArray(new GroundMetric.Features[0])),
                    GroundMetric.stack(fa.toArray(new GroundMetric.Features[0]))};
        }
        return new GroundMetric.Features[] {GroundMetric.Features.concat(fk), GroundMetric.Features.concat(fa)};
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

    /** Rows = neurons: column j of the row-major [r x w] matrix, normalised per neuron (statistics accumulated row by row). */
    private GroundMetric.Features neuronRows(float[] rows, int r, int w) {
        double[] mean = new double[w], sq = new double[w], l2 = new double[w];
        for (int i = 0; i < r; i++) for (int j = 0; j < w; j++) mean[j] += rows[i * w + j];
        for (int j = 0; j < w; j++) mean[j] /= r;
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < w; j++) {
                double v = rows[i * w + j];
                sq[j] += (v - mean[j]) * (v - mean[j]);
                l2[j] += v * v;
            }
        }
        double[] scale = new double[w], shift = new double[w];
        for (int j = 0; j < w; j++) {
            double std = Math.sqrt(sq[j] / Math.max(1, r - 1));
            switch (o.actNorm) {
                case "standardise" -> {
                    shift[j] = mean[j];
                    scale[j] = std + 1e-9;
                }
                case "centre" -> {
                    shift[j] = mean[j];
                    scale[j] = 1;
                }
                case "l2" -> scale[j] = Math.sqrt(l2[j]) + 1e-9;
                default -> scale[j] = 1;
            }
        }
        float[] x = new float[w * r];
        final int tile = 64;
        for (int i0 = 0; i0 < r; i0 += tile) {
            int i1 = Math.min(r, i0 + tile);
            for (int j0 = 0; j0 < w; j0 += tile) {
                int j1 = Math.min(w, j0 + tile);
                for (int i = i0; i < i1; i++) {
                    for (int j = j0; j < j1; j++) x[j * r + i] = (float) ((rows[i * w + j] - shift[j]) / scale[j]);
                }
            }
        }
        return new GroundMetric.Features(x, w, r);
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
                out = x.clone();
            } else {
                if (a.rows() != first.rows() || a.width() != first.width()) throw new OtfuseException(ExitCode.INTERNAL, "modules of " + tap + " disagree on shape");
                for (int i = 0; i < out.length; i++) out[i] += x[i];
            }
        }
        return new Tap(tap, first.rows(), first.width(), out);
    }

    /** Mean |activation| of the anchor at each join input, one value per anchor neuron. */
    double[][] joinMagnitudes(Plan.Space sp, boolean perNeuron) {
        List<String> taps = sp.taps();
        if (taps.size() != sp.joinInputs().size()) {
            // e.g. the embedding join, whose inputs are parameters: weigh them equally
            double[][] eq = new double[sp.joinInputs().size()][anchorCfg.hiddenSize];
            for (double[] e : eq) java.util.Arrays.fill(e, 1);
            return eq;
        }
        double[][] out = new double[taps.size()][];
        for (int t = 0; t < taps.size(); t++) {
            Tap a = summed(byModel.get(o.anchor), taps.get(t));
            int w = a.width();
            float[] x = a.data();
            double[] mag = new double[w];
            long cnt = a.rows();
            for (int i = 0; i < a.rows(); i++) for (int j = 0; j < w; j++) mag[j] += Math.abs(x[i * w + j]);
            double all = 0;
            for (int j = 0; j < w; j++) {
                mag[j] /= cnt;
                all += mag[j] / w;
            }
            if (!perNeuron) java.util.Arrays.fill(mag, all);
            out[t] = mag;
        }
        return out;
    }
}
