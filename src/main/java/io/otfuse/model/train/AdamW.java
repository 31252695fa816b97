package io.otfuse.model.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.otfuse.model.Params;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdamW exactly as {@code torch.optim.AdamW} (decoupled decay {@code p *= 1 - lr·wd}, bias-corrected
 * moments, eps outside the square root) with Hugging Face's parameter groups: biases, LayerNorm weights,
 * embeddings-like tokens (cls token, position embeddings) get no weight decay. Global L2-norm gradient
 * clipping as HF's {@code max_grad_norm} (DJL only has one-sided clamping). Gradients are zeroed after
 * each step. Updates run in place on the parameter arrays with grad mode off.
 */
public final class AdamW {
    private final Params params;
    private final List<String> names;
    private final Map<String, NDArray> m = new LinkedHashMap<>(), v = new LinkedHashMap<>();
    private final boolean[] decay;
    private final float beta1, beta2, eps;
    private long step;
    private long skipped;

    public AdamW(Params params, float beta1, float beta2, float eps) {
        this.params = params;
        this.names = new ArrayList<>(params.names());
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        decay = new boolean[names.size()];
        NDManager pm = params.manager();
        for (int i = 0; i < names.size(); i++) {
            String n = names.get(i);
            decay[i] = !noDecay(n);
            NDArray p = params.get(n);
            m.put(n, pm.zeros(p.getShape()));
            v.put(n, pm.zeros(p.getShape()));
        }
    }

    /** HF's no-decay group: biases and LayerNorm weights; plus ViT's cls token and position table. */
    static boolean noDecay(String n) {
        return n.endsWith(".bias") || n.contains("LayerNorm") || n.contains("layernorm") || n.endsWith("cls_token")
                || n.endsWith("position_embeddings") || n.equals("cls.predictions.bias");
    }

    /** Updates skipped because the gradient norm was not finite. */
    public long skippedSteps() {
        return skipped;
    }

    /**
     * Overwrites a gradient with zeros in place, NaN-safe (g - g keeps NaN). Never uses NDArray.set(Buffer):
     * on the PyTorch engine that re-points the tensor at a Java buffer whose lifetime the wrapper controls,
     * which corrupted memory once the wrapper was closed.
     */
    private static void zero(NDArray g) {
        try (NDArray bad = g.isNaN().logicalOr(g.isInfinite())) {
            g.set(bad, 0f);
        }
        g.subi(g);
    }

    public long stepCount() {
        return step;
    }

    public void setStepCount(long s) {
        step = s;
    }

    public Map<String, NDArray> firstMoments() {
        return m;
    }

    public Map<String, NDArray> secondMoments() {
        return v;
    }

    /**
     * One update. Gradient handles are attached to {@code scratch} (closed by the caller). Returns the
     * global gradient norm before clipping.
     */
    public double step(float lr, float weightDecay, float maxGradNorm, NDManager scratch) {
        NDArray[] grads = new NDArray[names.size()];
        double sq = 0;
        for (int i = 0; i < grads.length; i++) {
            NDArray g = params.get(names.get(i)).getGradient();
            g.attach(scratch);
            grads[i] = g;
        }
        for (NDArray g : grads) sq += g.square().sum().getFloat();
        double norm = Math.sqrt(sq);
        if (!Double.isFinite(norm)) {
            // a non-finite gradient: skip this update (as AMP's GradScaler does) and clear the gradients
            for (NDArray g : grads) zero(g);
            skipped++;
            return norm;
        }
        float scale = maxGradNorm > 0 && norm > maxGradNorm ? (float) (maxGradNorm / (norm + 1e-6)) : 1f;
        step++;
        double bc1 = 1 - Math.pow(beta1, step), bc2 = 1 - Math.pow(beta2, step);
        float stepSize = (float) (lr / bc1);
        float sqrtBc2 = (float) Math.sqrt(bc2);
        for (int i = 0; i < grads.length; i++) {
            String n = names.get(i);
            NDArray p = params.get(n), g = grads[i], mi = m.get(n), vi = v.get(n);
            if (scale != 1f) g.muli(scale);
            if (decay[i] && weightDecay > 0) p.muli(1 - lr * weightDecay);
            mi.muli(beta1).addi(g.mul(1 - beta1));
            vi.muli(beta2).addi(g.square().muli(1 - beta2));
            NDArray denom = vi.sqrt();
            denom.attach(scratch);
            denom.divi(sqrtBc2).addi(eps);
            NDArray upd = mi.div(denom);
            upd.attach(scratch);
            p.subi(upd.muli(stepSize));
            g.subi(g); // zero in place: the handle shares storage with the parameter's .grad
        }
        return norm;
    }
}
