package io.otfuse.model;

import io.otfuse.io.BertConfig;
import io.otfuse.io.HfLayout;
import io.otfuse.io.ModelConfig;
import io.otfuse.io.VitConfig;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * Plain-Java double-precision Hugging Face forwards (ViT image classification, BERT masked LM), written
 * straight from the HF module definitions with loops only, to check the DJL models against. Module
 * outputs are kept in {@link #acts} under HF module names (per sample [tokens][width]).
 */
final class Reference {
    final Map<String, double[][]> acts = new HashMap<>();
    private final Map<String, float[]> w;
    private final ModelConfig c;

    Reference(ModelConfig c, Map<String, float[]> w) {
        this.c = c;
        this.w = w;
    }

    /** Random weights with a non-trivial scale (LayerNorm weights around 1). */
    static Map<String, float[]> randomWeights(ModelConfig c, long seed) {
        Random r = new Random(seed);
        Map<String, float[]> m = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : HfLayout.expected(c).entrySet()) {
            long n = 1;
            for (long d : e.getValue()) n *= d;
            float[] v = new float[(int) n];
            boolean ln = e.getKey().toLowerCase().contains("layernorm") && e.getKey().endsWith(".weight");
            for (int i = 0; i < v.length; i++) v[i] = (float) (ln ? 1 + 0.1 * r.nextGaussian() : 0.3 * r.nextGaussian());
            m.put(e.getKey(), v);
        }
        return m;
    }

    double[] p(String n) {
        float[] f = w.get(n);
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    /** y[t][o] = sum_i x[t][i] W[o][i] + b[o]. */
    double[][] linear(double[][] x, String name) {
        double[] wt = p(name + ".weight"), b = p(name + ".bias");
        int out = b.length, in = x[0].length;
        double[][] y = new double[x.length][out];
        for (int t = 0; t < x.length; t++)
            for (int o = 0; o < out; o++) {
                double s = b[o];
                for (int i = 0; i < in; i++) s += x[t][i] * wt[o * in + i];
                y[t][o] = s;
            }
        return y;
    }

    double[][] layerNorm(double[][] x, String name) {
        double[] g = p(name + ".weight"), b = p(name + ".bias");
        double eps = c.layerNormEps;
        double[][] y = new double[x.length][x[0].length];
        for (int t = 0; t < x.length; t++) {
            int n = x[t].length;
            double mean = 0, var = 0;
            for (double v : x[t]) mean += v;
            mean /= n;
            for (double v : x[t]) var += (v - mean) * (v - mean);
            var /= n;
            for (int i = 0; i < n; i++) y[t][i] = (x[t][i] - mean) / Math.sqrt(var + eps) * g[i] + b[i];
        }
        return y;
    }

    static double erf(double x) {
        // Abramowitz-Stegun 7.1.26 is too coarse; use a series / continued fraction with double accuracy
        double t = Math.abs(x);
        double r;
        if (t < 2.5) {
            double sum = t, term = t, t2 = t * t;
            for (int n = 1; n < 200; n++) {
                term *= -t2 / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.abs(add) < 1e-17) break;
            }
            r = 2 / Math.sqrt(Math.PI) * sum;
        } else {
            // continued fraction for erfc
            double f = 0;
            for (int n = 60; n >= 1; n--) f = n / 2.0 / (t + f);
            r = 1 - Math.exp(-t * t) / Math.sqrt(Math.PI) / (t + f);
        }
        return x < 0 ? -r : r;
    }

    static double[][] gelu(double[][] x) {
        double[][] y = new double[x.length][x[0].length];
        for (int t = 0; t < x.length; t++)
            for (int i = 0; i < x[t].length; i++) y[t][i] = 0.5 * x[t][i] * (1 + erf(x[t][i] / Math.sqrt(2)));
        return y;
    }

    static double[][] add(double[][] a, double[][] b) {
        double[][] y = new double[a.length][a[0].length];
        for (int t = 0; t < a.length; t++) for (int i = 0; i < a[t].length; i++) y[t][i] = a[t][i] + b[t][i];
        return y;
    }

    /** Self-attention as HF writes it: scores = QK^T / sqrt(dh) (+ mask), softmax, times V. */
    double[][] attention(double[][] h, String prefix, String qkvPrefix, boolean[] keep) {
        double[][] q = linear(h, qkvPrefix + ".query"), k = linear(h, qkvPrefix + ".key"), v = linear(h, qkvPrefix + ".value");
        acts.put(qkvPrefix + ".query", q);
        int tn = h.length, d = c.hiddenSize, heads = c.numAttentionHeads, dh = d / heads;
        double[][] ctx = new double[tn][d];
        for (int hd = 0; hd < heads; hd++) {
            for (int i = 0; i < tn; i++) {
                double[] s = new double[tn];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < tn; j++) {
                    double dot = 0;
                    for (int e = 0; e < dh; e++) dot += q[i][hd * dh + e] * k[j][hd * dh + e];
                    s[j] = dot / Math.sqrt(dh) + (keep == null || keep[j] ? 0 : -Float.MAX_VALUE);
                    max = Math.max(max, s[j]);
                }
                double z = 0;
                for (int j = 0; j < tn; j++) z += s[j] = Math.exp(s[j] - max);
                for (int j = 0; j < tn; j++)
                    for (int e = 0; e < dh; e++) ctx[i][hd * dh + e] += s[j] / z * v[j][hd * dh + e];
            }
        }
        return ctx;
    }

    /** ViT logits for one image [C][H][W]. */
    double[] vit(float[][][] img) {
        VitConfig v = (VitConfig) c;
        int p = v.patchSize, g = v.gridSize(), ch = v.numChannels, d = v.hiddenSize;
        double[] cw = p("vit.embeddings.patch_embeddings.projection.weight"), cb = p("vit.embeddings.patch_embeddings.projection.bias");
        double[][] x = new double[g * g + 1][d];
        double[] cls = p("vit.embeddings.cls_token"), pos = p("vit.embeddings.position_embeddings");
        for (int o = 0; o < d; o++) x[0][o] = cls[o];
        for (int gy = 0; gy < g; gy++)
            for (int gx = 0; gx < g; gx++)
                for (int o = 0; o < d; o++) {
                    double s = cb[o];
                    for (int cc = 0; cc < ch; cc++)
                        for (int ky = 0; ky < p; ky++)
                            for (int kx = 0; kx < p; kx++)
                                s += cw[((o * ch + cc) * p + ky) * p + kx] * img[cc][gy * p + ky][gx * p + kx];
                    x[1 + gy * g + gx][o] = s;
                }
        for (int t = 0; t < x.length; t++) for (int o = 0; o < d; o++) x[t][o] += pos[t * d + o];
        acts.put("vit.embeddings", x);
        for (int l = 0; l < v.numHiddenLayers; l++) {
            String pre = "vit.encoder.layer." + l;
            double[][] h = layerNorm(x, pre + ".layernorm_before");
            double[][] ctx = attention(h, pre, pre + ".attention.attention", null);
            double[][] r = add(linear(ctx, pre + ".attention.output.dense"), x);
            double[][] h2 = layerNorm(r, pre + ".layernorm_after");
            double[][] f = linear(h2, pre + ".intermediate.dense");
            acts.put(pre + ".intermediate.dense", f);
            x = add(linear(gelu(f), pre + ".output.dense"), r);
            acts.put(pre, x);
        }
        x = layerNorm(x, "vit.layernorm");
        return linear(new double[][] {x[0]}, "classifier")[0];
    }

    /** BERT MLM logits [T][V] for one sequence; keep[j] false marks padding keys. */
    double[][] bert(int[] ids, boolean[] keep) {
        BertConfig b = (BertConfig) c;
        int d = b.hiddenSize;
        double[] we = p("bert.embeddings.word_embeddings.weight"), pe = p("bert.embeddings.position_embeddings.weight"),
                te = p("bert.embeddings.token_type_embeddings.weight");
        double[][] x = new double[ids.length][d];
        for (int t = 0; t < ids.length; t++)
            for (int o = 0; o < d; o++) x[t][o] = we[ids[t] * d + o] + pe[t * d + o] + te[o];
        x = layerNorm(x, "bert.embeddings.LayerNorm");
        acts.put("bert.embeddings", x);
        for (int l = 0; l < b.numHiddenLayers; l++) {
            String pre = "bert.encoder.layer." + l;
            double[][] ctx = attention(x, pre, pre + ".attention.self", keep);
            double[][] a = layerNorm(add(linear(ctx, pre + ".attention.output.dense"), x), pre + ".attention.output.LayerNorm");
            double[][] f = linear(a, pre + ".intermediate.dense");
            acts.put(pre + ".intermediate.dense", f);
            x = layerNorm(add(linear(gelu(f), pre + ".output.dense"), a), pre + ".output.LayerNorm");
            acts.put(pre, x);
        }
        double[][] h = layerNorm(gelu(linear(x, "cls.predictions.transform.dense")), "cls.predictions.transform.LayerNorm");
        double[] bias = p("cls.predictions.bias");
        double[][] logits = new double[ids.length][b.vocabSize];
        for (int t = 0; t < ids.length; t++)
            for (int v = 0; v < b.vocabSize; v++) {
                double s = bias[v];
                for (int o = 0; o < d; o++) s += h[t][o] * we[v * d + o];
                logits[t][v] = s;
            }
        return logits;
    }
}
