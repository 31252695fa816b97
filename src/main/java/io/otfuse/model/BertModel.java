package io.otfuse.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import io.otfuse.io.BertConfig;
import io.otfuse.io.Checkpoint;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Hugging Face {@code BertForMaskedLM} on DJL: word + position + token-type embeddings, embedding
 * LayerNorm, post-LN encoder layers with exact GELU, and the MLM head (dense, GELU, LayerNorm, decoder
 * tied to the word embeddings, output bias). Parameter names and shapes are HF's.
 */
public final class BertModel implements AutoCloseable {
    private final BertConfig config;
    private final Params params;
    private final float eps;
    private float hiddenDropout;
    private float attentionDropout;
    private final LayerNames[] layerNames;

    public BertModel(Params params) {
        if (!(params.config() instanceof BertConfig c)) throw new IllegalArgumentException("not a BERT config");
        this.config = c;
        this.params = params;
        this.eps = (float) c.layerNormEps;
        this.hiddenDropout = (float) c.hiddenDropoutProb;
        this.attentionDropout = (float) c.attentionProbsDropoutProb;
        layerNames = new LayerNames[c.numHiddenLayers];
        for (int i = 0; i < layerNames.length; i++) layerNames[i] = LayerNames.bert(i);
    }

    public static BertModel load(Checkpoint ckpt, NDManager manager) {
        if (!(ckpt.config() instanceof BertConfig)) {
            throw new io.otfuse.io.OtfuseException(io.otfuse.io.ExitCode.BAD_CHECKPOINT, ckpt.dir() + ": not a BERT checkpoint (model_type is not bert)");
        }
        return new BertModel(Params.load(ckpt, manager));
    }

    public BertConfig config() {
        return config;
    }

    public Params params() {
        return params;
    }

    public void setDropout(float hidden, float attention) {
        this.hiddenDropout = hidden;
        this.attentionDropout = attention;
    }

    /** Inference: ids [B, T] (int64) with optional attention mask [B, T] (1 = token, 0 = padding) → MLM logits [B, T, V]. */
    public NDArray forward(NDArray ids, NDArray attentionMask, Taps taps) {
        NDArray h = encode(ids, attentionMask, null, taps, false);
        return head(h, taps);
    }

    /**
     * Encoder: ids [B, T] → last hidden state [B, T, d]. {@code tokenTypes} may be null (all zero, as
     * HF's default). Intermediates belong to {@code ids}' manager.
     */
    public NDArray encode(NDArray ids, NDArray attentionMask, NDArray tokenTypes, Taps taps, boolean training) {
        Taps t = taps != null && taps.active() ? taps : null;
        NDManager m = ids.getManager();
        long[] s = ids.getShape().getShape();
        if (s.length != 2) throw new IllegalArgumentException("expected ids [B, T], got " + ids.getShape());
        long b = s[0], len = s[1];
        if (len > config.maxPositionEmbeddings) {
            throw new IllegalArgumentException("sequence length " + len + " exceeds max_position_embeddings " + config.maxPositionEmbeddings);
        }
        NDArray idsL = ids.getDataType() == DataType.INT64 ? ids : ids.toType(DataType.INT64, false);
        NDArray word = Embedding.embedding(idsL, params.get("bert.embeddings.word_embeddings.weight"), SparseFormat.DENSE).singletonOrThrow();
        if (t != null) t.record("bert.embeddings.word_embeddings", word);
        NDArray pos = Ops.own(params.get("bert.embeddings.position_embeddings.weight").get(new NDIndex("0:" + len)), m);
        NDArray type;
        if (tokenTypes == null) {
            type = Ops.own(params.get("bert.embeddings.token_type_embeddings.weight").get(new NDIndex("0:1")), m);
        } else {
            NDArray tt = tokenTypes.getDataType() == DataType.INT64 ? tokenTypes : tokenTypes.toType(DataType.INT64, false);
            type = Embedding.embedding(tt, params.get("bert.embeddings.token_type_embeddings.weight"), SparseFormat.DENSE).singletonOrThrow();
        }
        if (t != null && t.wants("bert.embeddings.position_embeddings")) t.record("bert.embeddings.position_embeddings", pos.expandDims(0));
        if (t != null && t.wants("bert.embeddings.token_type_embeddings")) t.record("bert.embeddings.token_type_embeddings", type.broadcast(b, len, config.hiddenSize));
        NDArray x = word.add(type).add(pos);
        x = Ops.layerNorm(x, params.get("bert.embeddings.LayerNorm.weight"), params.get("bert.embeddings.LayerNorm.bias"), eps);
        if (t != null) t.record("bert.embeddings.LayerNorm", x);
        x = Ops.dropout(x, hiddenDropout, training);
        if (t != null) t.record("bert.embeddings", x);
        // HF: (1 - mask) * finfo(float32).min, broadcast over heads and queries
        NDArray mask = attentionMask == null ? null
                : attentionMask.toType(DataType.FLOAT32, false).neg().add(1f).mul(-Float.MAX_VALUE).reshape(b, 1, 1, len);
        for (LayerNames n : layerNames) {
            NDArray in = x;
            x = Ops.layer(training, () -> layer(n, in, mask, t, training, m));
        }
        if (t != null) t.record("bert.encoder", x);
        return x;
    }

    private NDArray layer(LayerNames n, NDArray x, NDArray mask, Taps t, boolean training, NDManager m) {
        NDArray a = Ops.selfAttention(params, n, x, mask, config.numAttentionHeads, attentionDropout, hiddenDropout, training, t, m);
        a = Ops.layerNorm(a.add(x), params.get(n.ln1w), params.get(n.ln1b), eps);
        if (t != null) {
            t.record(n.ln1, a);
            t.record(n.attnOut, a);
            t.record(n.attention, a);
        }
        NDArray y = Ops.layerNorm(Ops.mlp(params, n, a, hiddenDropout, training, t).add(a), params.get(n.ln2w), params.get(n.ln2b), eps);
        if (t != null) {
            t.record(n.ln2, y);
            t.record(n.out, y);
            t.record(n.layer, y);
        }
        return y;
    }

    /** MLM head on hidden states [..., d] → logits [..., V] (decoder tied to the word embeddings). */
    public NDArray head(NDArray h, Taps taps) {
        Taps t = taps != null && taps.active() ? taps : null;
        NDArray x = Ops.linear(h, params.get("cls.predictions.transform.dense.weight"), params.get("cls.predictions.transform.dense.bias"));
        if (t != null) t.record("cls.predictions.transform.dense", x);
        x = Ops.gelu(x);
        x = Ops.layerNorm(x, params.get("cls.predictions.transform.LayerNorm.weight"), params.get("cls.predictions.transform.LayerNorm.bias"), eps);
        if (t != null) {
            t.record("cls.predictions.transform.LayerNorm", x);
            t.record("cls.predictions.transform", x);
        }
        NDArray logits = Ops.linear(x, params.get("bert.embeddings.word_embeddings.weight"), params.get("cls.predictions.bias"));
        if (t != null) {
            t.record("cls.predictions.decoder", logits);
            t.record("cls.predictions", logits);
        }
        return logits;
    }

    public Map<String, float[]> stateDict() {
        return params.stateDict();
    }

    /** Writes a checkpoint folder; the tied decoder weight is not stored (HF convention). */
    public Path save(Path dir, boolean force, List<Path> companions, Map<String, byte[]> files) {
        return params.save(dir, force, companions, files);
    }

    @Override
    public void close() {
        params.close();
    }
}
