package io.otfuse.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.norm.LayerNorm;
import java.util.function.Supplier;

/** Fused building blocks shared by the ViT and BERT forwards (PyTorch kernels through DJL). */
final class Ops {
    private Ops() {}

    static NDArray linear(NDArray x, NDArray w, NDArray b) {
        return Linear.linear(x, w, b).singletonOrThrow();
    }

    static NDArray layerNorm(NDArray x, NDArray g, NDArray b, float eps) {
        return LayerNorm.layerNorm(x, new Shape(g.getShape().get(0)), g, b, eps).singletonOrThrow();
    }

    static NDArray gelu(NDArray x) {
        return Activation.gelu(x);
    }

    static NDArray dropout(NDArray x, float rate, boolean training) {
        if (!training || rate <= 0) return x;
        return Dropout.dropout(x, rate, true).singletonOrThrow();
    }

    /** Re-homes an array created from a parameter (whose manager is the parameters') to {@code m}. */
    static NDArray own(NDArray a, NDManager m) {
        a.attach(m);
        return a;
    }

    /**
     * Runs one encoder layer. In inference its temporaries (the fused QKV weights, every intermediate, contiguous copies
     * made for taps) are freed as soon as it returns and only its output stays, owned by the forward's manager, so a
     * forward holds one layer's temporaries at a time; training keeps them for the backward.
     */
    static NDArray layer(boolean training, Supplier<NDArray> layer) {
        if (training) return layer.get();
        try (NDScope scope = new NDScope()) {
            NDArray y = layer.get();
            NDScope.unregister(y);
            return y;
        }
    }

    /**
     * A scalar tensor in engine-owned memory. Never pass a {@code Number} to an op whose backward needs it
     * ({@code mul}, {@code div}, ...): DJL wraps the number in a Java direct buffer and closes it right after the op,
     * but autograd keeps that tensor for the backward, which then reads freed memory once the garbage collector has
     * released the buffer (wrong or non-finite gradients, different from run to run).
     */
    static NDArray scalar(NDManager m, float v) {
        return m.full(new Shape(), v);
    }

    /** Concatenates Q, K, V weights (or biases) along dim 0, owned by {@code m}. */
    static NDArray cat0(NDManager m, NDArray a, NDArray b, NDArray c) {
        return own(NDArrays.concat(new NDList(a, b, c), 0), m);
    }

    /**
     * The self-attention sublayer of an encoder layer, up to its output dropout: fused QKV projection, heads, output
     * dense. Taps: query, key, value, the self-attention module (context) and the output dense.
     */
    static NDArray selfAttention(Params p, LayerNames n, NDArray x, NDArray mask, int heads, float attnDropout, float hiddenDropout,
                                 boolean training, Taps t, NDManager m) {
        NDArray wqkv = cat0(m, p.get(n.wq), p.get(n.wk), p.get(n.wv));
        NDArray bqkv = cat0(m, p.get(n.bq), p.get(n.bk), p.get(n.bv));
        NDArray qkv = linear(x, wqkv, bqkv);
        if (t != null) {
            long d = x.getShape().get(x.getShape().dimension() - 1);
            if (t.wants(n.query)) t.record(n.query, qkv.get(new NDIndex("..., 0:" + d)));
            if (t.wants(n.key)) t.record(n.key, qkv.get(new NDIndex("..., " + d + ":" + 2 * d)));
            if (t.wants(n.value)) t.record(n.value, qkv.get(new NDIndex("..., " + 2 * d + ":")));
        }
        NDArray ctx = attention(qkv, heads, mask, attnDropout, training);
        if (t != null) t.record(n.self, ctx);
        NDArray a = linear(ctx, p.get(n.wo), p.get(n.bo));
        if (t != null) t.record(n.attnDense, a);
        return dropout(a, hiddenDropout, training);
    }

    /**
     * The MLP sublayer, up to its output dropout: dense, exact GELU, dense. Taps: intermediate.dense (pre-GELU),
     * intermediate (post-GELU), output.dense.
     */
    static NDArray mlp(Params p, LayerNames n, NDArray x, float hiddenDropout, boolean training, Taps t) {
        NDArray f = linear(x, p.get(n.w1), p.get(n.b1));
        if (t != null) t.record(n.interDense, f);
        f = gelu(f);
        if (t != null) t.record(n.inter, f);
        NDArray o = linear(f, p.get(n.w2), p.get(n.b2));
        if (t != null) t.record(n.outDense, o);
        return dropout(o, hiddenDropout, training);
    }

    /**
     * Multi-head self-attention core on a fused QKV projection [B, T, 3d]: returns the context [B, T, d]
     * (heads concatenated as HF does). {@code mask} is null or an additive [B, 1, 1, T] mask.
     */
    static NDArray attention(NDArray qkv, int heads, NDArray mask, float attnDropout, boolean training) {
        long[] s = qkv.getShape().getShape();
        long b = s[0], t = s[1], d = s[2] / 3, dh = d / heads;
        NDArray r = qkv.reshape(b, t, 3, heads, dh).transpose(2, 0, 3, 1, 4); // [3, B, H, T, dh]
        NDArray q = r.get(0).mul(scalar(qkv.getManager(), (float) (1.0 / Math.sqrt(dh))));
        NDArray k = r.get(1);
        NDArray v = r.get(2);
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)); // [B, H, T, T]
        if (mask != null) scores = scores.add(mask);
        NDArray probs = dropout(scores.softmax(-1), attnDropout, training);
        return probs.matMul(v).transpose(0, 2, 1, 3).reshape(b, t, d);
    }
}
