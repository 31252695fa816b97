package io.otfuse.model;

/**
 * HF module and parameter names of one encoder layer, built once per layer. ViT and BERT differ only in the prefix,
 * the self-attention module ({@code attention.attention} / {@code attention.self}) and where the two LayerNorms sit
 * ({@code ln1}: before attention in ViT (pre-LN), after the attention output in BERT (post-LN); {@code ln2}: before the
 * MLP in ViT, after the layer output in BERT).
 */
final class LayerNames {
    final String layer, query, key, value, self, attnDense, attnOut, attention, interDense, inter, outDense, out, ln1, ln2;
    final String wq, bq, wk, bk, wv, bv, wo, bo, ln1w, ln1b, ln2w, ln2b, w1, b1, w2, b2;

    private LayerNames(String p, String self, String ln1, String ln2) {
        layer = p;
        this.self = self;
        this.ln1 = ln1;
        this.ln2 = ln2;
        query = self + ".query";
        key = self + ".key";
        value = self + ".value";
        attnDense = p + ".attention.output.dense";
        attnOut = p + ".attention.output";
        attention = p + ".attention";
        interDense = p + ".intermediate.dense";
        inter = p + ".intermediate";
        outDense = p + ".output.dense";
        out = p + ".output";
        wq = query + ".weight"; bq = query + ".bias";
        wk = key + ".weight"; bk = key + ".bias";
        wv = value + ".weight"; bv = value + ".bias";
        wo = attnDense + ".weight"; bo = attnDense + ".bias";
        ln1w = ln1 + ".weight"; ln1b = ln1 + ".bias";
        ln2w = ln2 + ".weight"; ln2b = ln2 + ".bias";
        w1 = interDense + ".weight"; b1 = interDense + ".bias";
        w2 = outDense + ".weight"; b2 = outDense + ".bias";
    }

    static LayerNames vit(int i) {
        String p = "vit.encoder.layer." + i;
        return new LayerNames(p, p + ".attention.attention", p + ".layernorm_before", p + ".layernorm_after");
    }

    static LayerNames bert(int i) {
        String p = "bert.encoder.layer." + i;
        return new LayerNames(p, p + ".attention.self", p + ".attention.output.LayerNorm", p + ".output.LayerNorm");
    }
}
