package io.otfuse.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The attention's query scaling must survive until the backward. DJL's {@code NDArray.mul(Number)} wraps the scalar
 * in a Java direct buffer and closes it at once, while autograd keeps that tensor for the backward: once the
 * garbage collector frees the buffer, the query gradient is read from freed memory (non-finite or wrong values,
 * different from run to run). This test frees and overwrites such buffers between forward and backward and checks
 * the gradient against the closed form.
 */
class ScalarLifetimeTest {
    @Test
    void attentionQueryGradientSurvivesGarbageCollection() {
        int b = 2, t = 5, d = 8, heads = 2, dh = d / heads;
        Random r = new Random(7);
        float[] qkv = new float[b * t * 3 * d];
        for (int i = 0; i < qkv.length; i++) qkv[i] = (float) r.nextGaussian();
        try (NDManager m = NDManager.newBaseManager()) {
            float[] want = null;
            for (int round = 0; round < 12; round++) {
                try (NDManager sm = m.newSubManager()) {
                    NDArray x = sm.create(qkv, new Shape(b, t, 3 * d));
                    x.setRequiresGradient(true);
                    float[] got;
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray ctx = Ops.attention(x, heads, null, 0f, false);
                        NDArray loss = ctx.sum();
                        if (round > 0) churn();
                        gc.backward(loss);
                    }
                    got = x.getGradient().toFloatArray();
                    for (float g : got) assertTrue(Float.isFinite(g), "round " + round + ": non-finite gradient");
                    if (want == null) want = got;
                    else for (int i = 0; i < got.length; i++) assertEquals(want[i], got[i], 0f, "round " + round + ", element " + i);
                }
            }
            // and the first round's gradient is the right one: central differences in double on the q part
            double[] num = numericQueryGrad(qkv, b, t, d, heads, dh);
            for (int bi = 0; bi < b; bi++)
                for (int ti = 0; ti < t; ti++)
                    for (int k = 0; k < d; k++) {
                        int idx = (bi * t + ti) * 3 * d + k;
                        assertEquals(num[idx], want[idx], 2e-3 * Math.max(1, Math.abs(num[idx])), "dq at " + idx);
                    }
        }
    }

    /** Lets the collector free unreachable direct buffers and reuses their memory with huge values. */
    private static void churn() {
        for (int i = 0; i < 3; i++) {
            System.gc();
            List<ByteBuffer> keep = new ArrayList<>();
            for (int j = 0; j < 20_000; j++) {
                ByteBuffer bb = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder());
                bb.putFloat(0, 3e38f);
                keep.add(bb);
            }
            keep.clear();
        }
    }

    /** d(sum of attention output)/d(q part of qkv), by central differences on a double-precision forward. */
    private static double[] numericQueryGrad(float[] qkv, int b, int t, int d, int heads, int dh) {
        double[] x = new double[qkv.length];
        for (int i = 0; i < x.length; i++) x[i] = qkv[i];
        double[] g = new double[x.length];
        double h = 1e-5;
        for (int bi = 0; bi < b; bi++)
            for (int ti = 0; ti < t; ti++)
                for (int k = 0; k < d; k++) {
                    int idx = (bi * t + ti) * 3 * d + k;
                    double keep = x[idx];
                    x[idx] = keep + h;
                    double up = attentionSum(x, b, t, d, heads, dh);
                    x[idx] = keep - h;
                    double dn = attentionSum(x, b, t, d, heads, dh);
                    x[idx] = keep;
                    g[idx] = (up - dn) / (2 * h);
                }
        return g;
    }

    private static double attentionSum(double[] x, int b, int t, int d, int heads, int dh) {
        double total = 0, scale = 1 / Math.sqrt(dh);
        for (int bi = 0; bi < b; bi++)
            for (int hh = 0; hh < heads; hh++)
                for (int i = 0; i < t; i++) {
                    double[] s = new double[t];
                    double mx = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < t; j++) {
                        double dot = 0;
                        for (int k = 0; k < dh; k++)
                            dot += x[(bi * t + i) * 3 * d + hh * dh + k] * x[(bi * t + j) * 3 * d + d + hh * dh + k];
                        s[j] = dot * scale;
                        mx = Math.max(mx, s[j]);
                    }
                    double z = 0;
                    for (int j = 0; j < t; j++) z += s[j] = Math.exp(s[j] - mx);
                    for (int j = 0; j < t; j++)
                        for (int k = 0; k < dh; k++) total += s[j] / z * x[(bi * t + j) * 3 * d + 2 * d + hh * dh + k];
                }
        return total;
    }
}
