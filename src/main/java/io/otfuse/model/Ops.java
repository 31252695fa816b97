package io.otfuse.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.norm.LayerNorm;

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
