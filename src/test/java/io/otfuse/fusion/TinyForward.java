package io.otfuse.fusion;

import io.otfuse.io.BertConfig;
import io.otfuse.io.Checkpoint;
import io.otfuse.io.VitConfig;

/** A plain-Java forward pass of HF ViT / BERT-MLM, to check that permuted and fused models compute what they should. */
final class TinyForward {
    private TinyForward() {}

    /** Module outputs by HF module name, one [tokens][width] per call (null: record nothing). */
    static java.util.Map<String, java.util.List<float[][]>> rec;

    static void record(String module, double[][] x) {
        if (rec == null) return;
        float[][] f = new float[x.length][];
        for (int i = 0; i < x.length; i++) {
            f[i] = new float[x[i].length];
            for (int j = 0; j < x[i].length; j++) f[i][j] = (float) x[i][j];
        }
        rec.computeIfAbsent(module, k -> new java.util.ArrayList<>()).add(f);
    }

    /** ViT logits for one image [C][H][W] flattened channel-major. */
    static double[] vit(Checkpoint c, float[] image) {
        VitConfig v = (VitConfig) c.config();
        int d = v.hiddenSize, p = v.patchSize, g = v.gridSize(), ch = v.numChannels, t = v.seqLength();
        float[] conv = c.readFloats("vit.embeddings.patch_embeddings.projection.weight");
        float[] convB = c.readFloats("vit.embeddings.patch_embeddings.projection.bias");
        float[] cls = c.readFloats("vit.embeddings.cls_token");
        float[] pos = c.readFloats("vit.embeddings.position_embeddings");
        double[][] x = new double[t][d];
        for (int j = 0; j < d; j++) x[0][j] = cls[j] + pos[j];
        for (int r = 0; r < g; r++) for (int q = 0; q < g; q++) {
            int tok = 1 + r * g + q;
            for (int j = 0; j < d; j++) {
                double s = convB[j];
                for (int cc = 0; cc < ch; cc++) for (int ky = 0; ky < p; ky++) for (int kx = 0; kx < p; kx++) {
                    s += conv[((j * ch + cc) * p + ky) * p + kx] * image[(cc * v.imageSize + r * p + ky) * v.imageSize + q * p + kx];
                }
                x[tok][j] = s;
            }
        }
        record("vit.embeddings.patch_embeddings", java.util.Arrays.copyOfRange(x, 1, t));
        for (int tok = 1; tok < t; tok++) for (int j = 0; j < d; j++) x[tok][j] += pos[tok * d + j];
        record("vit.embeddings", x);
        for (int l = 0; l < v.numHiddenLayers; l++) {
            String pre = "vit.encoder.layer." + l + ".";
            double[][] h = ln(x, c, pre + "layernorm_before", v.layerNormEps);
            double[][] a = attention(h, c, pre + "attention.attention.", pre + "attention.output.dense", v.numAttentionHeads);
            record(pre + "attention", a);
            record(pre + "attention.output", a); // HF: ViTSelfOutput, the branch before the residual add
            add(x, a);
            double[][] h2 = ln(x, c, pre + "layernorm_after", v.layerNormEps);
            add(x, linear(gelu(linear(h2, c, pre + "intermediate.dense")), c, pre + "output.dense"));
            record(pre.substring(0, pre.length() - 1), x);
        }
        double[][] f = ln(x, c, "vit.layernorm", v.layerNormEps);
        return linear(new double[][] {f[0]}, c, "classifier")[0];
    }

    /** BERT masked-LM logits [tokens][vocab] for the given token ids (token type 0). */
    static double[][] bert(Checkpoint c, int[] ids) {
        BertConfig b = (BertConfig) c.config();
        int d = b.hiddenSize, t = ids.length;
        float[] word = c.readFloats("bert.embeddings.word_embeddings.weight");
        float[] pos = c.readFloats("bert.embeddings.position_embeddings.weight");
        float[] type = c.readFloats("bert.embeddings.token_type_embeddings.weight");
        double[][] x = new double[t][d];
        double[][] we = new double[t][d], pe = new double[t][d], te = new double[t][d];
        for (int i = 0; i < t; i++) for (int j = 0; j < d; j++) {
            we[i][j] = word[ids[i] * d + j];
            pe[i][j] = pos[i * d + j];
            te[i][j] = type[j];
            x[i][j] = we[i][j] + pe[i][j] + te[i][j];
        }
        record("bert.embeddings.word_embeddings", we);
        record("bert.embeddings.position_embeddings", pe);
        record("bert.embeddings.token_type_embeddings", te);
        x = ln(x, c, "bert.embeddings.LayerNorm", b.layerNormEps);
        record("bert.embeddings", x);
        for (int l = 0; l < b.numHiddenLayers; l++) {
            String pre = "bert.encoder.layer." + l + ".";
            double[][] a = attention(x, c, pre + "attention.self.", pre + "attention.output.dense", b.numAttentionHeads);
            add(a, x);
            x = ln(a, c, pre + "attention.output.LayerNorm", b.layerNormEps);
            record(pre + "attention", x);
            double[][] m = linear(gelu(linear(x, c, pre + "intermediate.dense")), c, pre + "output.dense");
            add(m, x);
            x = ln(m, c, pre + "output.LayerNorm", b.layerNormEps);
            record(pre.substring(0, pre.length() - 1), x);
        }
        double[][] h = ln(gelu(linear(x, c, "cls.predictions.transform.dense")), c, "cls.predictions.transform.LayerNorm", b.layerNormEps);
        float[] bias = c.readFloats("cls.predictions.bias");
        double[][] out = new double[t][b.vocabSize];
        for (int i = 0; i < t; i++) for (int v = 0; v < b.vocabSize; v++) {
            double s = bias[v];
            for (int j = 0; j < d; j++) s += h[i][j] * word[v * d + j];
            out[i][v] = s;
        }
        return out;
    }

    static double[][] attention(double[][] x, Checkpoint c, String qkv, String out, int heads) {
        double[][] q = linear(x, c, qkv + "query"), k = linear(x, c, qkv + "key"), v = linear(x, c, qkv + "value");
        int t = x.length, d = q[0].length, hd = d / heads;
        double[][] ctx = new double[t][d];
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < t; i++) {
                double[] s = new double[t];
                double mx = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < t; j++) {
                    double dot = 0;
                    for (int e = 0; e < hd; e++) dot += q[i][h * hd + e] * k[j][h * hd + e];
                    s[j] = dot / Math.sqrt(hd);
                    mx = Math.max(mx, s[j]);
                }
                double z = 0;
                for (int j = 0; j < t; j++) z += s[j] = Math.exp(s[j] - mx);
                for (int j = 0; j < t; j++) for (int e = 0; e < hd; e++) ctx[i][h * hd + e] += s[j] / z * v[j][h * hd + e];
            }
        }
        return linear(ctx, c, out);
    }

    static double[][] linear(double[][] x, Checkpoint c, String name) {
        double[][] y = linear0(x, c, name);
        record(name, y);
        return y;
    }

    static double[][] linear0(double[][] x, Checkpoint c, String name) {
        float[] w = c.readFloats(name + ".weight"), b = c.readFloats(name + ".bias");
        int out = b.length, in = x[0].length;
        double[][] y = new double[x.length][out];
        for (int i = 0; i < x.length; i++) for (int o = 0; o < out; o++) {
            double s = b[o];
            for (int j = 0; j < in; j++) s += w[o * in + j] * x[i][j];
            y[i][o] = s;
        }
        return y;
    }

    static double[][] ln(double[][] x, Checkpoint c, String name, double eps) {
        float[] g = c.readFloats(name + ".weight"), b = c.readFloats(name + ".bias");
        double[][] y = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            int d = x[i].length;
            double mean = 0, var = 0;
            for (double v : x[i]) mean += v / d;
            for (double v : x[i]) var += (v - mean) * (v - mean) / d;
            y[i] = new double[d];
            for (int j = 0; j < d; j++) y[i][j] = (x[i][j] - mean) / Math.sqrt(var + eps) * g[j] + b[j];
        }
        return y;
    }

    static double[][] gelu(double[][] x) {
        double[][] y = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            y[i] = new double[x[i].length];
            for (int j = 0; j < x[i].length; j++) y[i][j] = 0.5 * x[i][j] * (1 + erf(x[i][j] / Math.sqrt(2)));
        }
        return y;
    }

    static void add(double[][] acc, double[][] x) {
        for (int i = 0; i < acc.length; i++) for (int j = 0; j < acc[i].length; j++) acc[i][j] += x[i][j];
    }

    /** erf to ~1e-7 (Abramowitz-Stegun 7.1.26 is 1.5e-7). */
    static double erf(double z) {
        double t = 1 / (1 + 0.3275911 * Math.abs(z));
        double y = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
        return z >= 0 ? y : -y;
    }
}
