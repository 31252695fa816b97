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
public final class Activations {
    private final List<Map<String, List<float[][]>>> byModel;
    private final FusionOptions o;
    private final ModelConfig anchorCfg;

    private Activations(List<Map<String, List<float[][]>>> byModel, FusionOptions o, ModelConfig anchorCfg) {
        this.byModel = byModel;
        this.o = o;
        this.anchorCfg = anchorCfg;
    }

    static Activations collect(List<Checkpoint> models, FusionOptions o, Plan plan, ActivationSource source) {
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
        for (Checkpoint c : models) {
            Map<String, List<float[][]>> raw = source.collect(c.dir(), List.copyOf(modules), new ActivationSource.Samples(data, o.samples, o.seed));
            // keep only the filtered tokens, so unused tokens are not held while the other models run
            Map<String, List<float[][]>> kept = new java.util.HashMap<>();
            for (Map.Entry<String, List<float[][]>> e : raw.entrySet()) {
                List<float[][]> samples = new ArrayList<>();
                for (float[][] smp : e.getValue()) {
                    List<float[]> rows = new ArrayList<>();
                    for (int tok = 0; tok < smp.length; tok++) if (a.keep(tok, smp.length, clsOnly.contains(e.getKey()))) rows.add(smp[tok]);
                    samples.add(rows.toArray(new float[0][]));
                }
                kept.put(e.getKey(), samples);
            }
            a.byModel.add(kept);
        }
        return a;
    }

    /** Features of model k and the anchor for a solved space, or null when its taps are not module outputs. */
    GroundMetric.Features[] features(Plan.Space sp, int k, int anchor) {
        List<GroundMetric.Features> fk = new ArrayList<>(), fa = new ArrayList<>();
        for (String tap : sp.taps()) {
            List<float[][]> ak = byModel.get(k).get(tap), aa = byModel.get(anchor).get(tap);
            if (ak == null || aa == null) continue; // a parameter, not a module (ViT cls token, position embeddings)
            fk.add(neuronRows(rows(ak)));
            fa.add(neuronRows(rows(aa)));
        }
        if (fk.isEmpty()) return null;
        if (sp.blocks() > 1) {
            // joint Q/K: neurons of both taps stacked in the same (Q, K) order as the weights (the reference mixes them, Q3)
            return new GroundMetric.Features[] {GroundMetric.stack(fk.toArray(new GroundMetric.Features[0])),
                    GroundMetric.stack(fa.toArray(new GroundMetric.Features[0]))};
        }
        return new GroundMetric.Features[] {GroundMetric.Features.concat(fk), GroundMetric.Features.concat(fa)};
    }

    /** All rows (samples x kept tokens), each one activation vector. */
    private static float[][] rows(List<float[][]> samples) {
        List<float[]> rows = new ArrayList<>();
        for (float[][] s : samples) java.util.Collections.addAll(rows, s);
        return rows.toArray(new float[0][]);
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

    /** Rows = neurons: column j of the [R x w] matrix, normalised per neuron (statistics accumulated row by row). */
    private GroundMetric.Features neuronRows(float[][] rows) {
        int r = rows.length, w = rows[0].length;
        double[] mean = new double[w], sq = new double[w], l2 = new double[w];
        for (float[] row : rows) for (int j = 0; j < w; j++) mean[j] += row[j];
        for (int j = 0; j < w; j++) mean[j] /= r;
        for (float[] row : rows) {
            for (int j = 0; j < w; j++) {
                double v = row[j];
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
                    float[] row = rows[i];
                    for (int j = j0; j < j1; j++) x[j * r + i] = (float) ((row[j] - shift[j]) / scale[j]);
                }
            }
        }
        return new GroundMetric.Features(x, w, r);
    }

    /** A module's outputs, or the element-wise sum of several ({@code A+B}). */
    private static List<float[][]> summed(Map<String, List<float[][]>> acts, String tap) {
        List<float[][]> out = null;
        for (String mod : tap.split("\\+")) {
            List<float[][]> a = acts.get(mod);
            if (a == null) throw new OtfuseException(ExitCode.INTERNAL, "the activation source returned no output for module " + mod);
            if (out == null) {
                out = new ArrayList<>();
                for (float[][] s : a) {
                    float[][] c = new float[s.length][];
                    for (int i = 0; i < s.length; i++) c[i] = s[i].clone();
                    out.add(c);
                }
            } else {
                for (int s = 0; s < out.size(); s++) for (int i = 0; i < out.get(s).length; i++) for (int j = 0; j < out.get(s)[i].length; j++) out.get(s)[i][j] += a.get(s)[i][j];
            }
        }
        return out;
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
            List<float[][]> a = summed(byModel.get(o.anchor), taps.get(t));
            int w = a.get(0)[0].length;
            double[] mag = new double[w];
            long cnt = 0;
            for (float[][] s : a) for (float[] row : s) {
                for (int j = 0; j < w; j++) mag[j] += Math.abs(row[j]);
                cnt++;
            }
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
