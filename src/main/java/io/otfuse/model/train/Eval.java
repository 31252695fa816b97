package io.otfuse.model.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.otfuse.model.VitModel;
import io.otfuse.model.data.ImageSet;
import io.otfuse.model.data.Preprocessor;

/** Evaluation helpers (no gradients, batched, intermediates freed per batch). */
public final class Eval {
    private Eval() {}

    public record Result(long n, double accuracy, double loss) {}

    /** Accuracy and mean cross-entropy of a ViT on the first {@code limit} images (all if ≤ 0). */
    public static Result vit(VitModel model, ImageSet set, Preprocessor pre, int batch, int limit) {
        ImageSet s = set.limit(limit);
        int c = model.config().numLabels;
        long correct = 0;
        double loss = 0;
        NDManager root = model.params().manager();
        for (int from = 0; from < s.size(); from += batch) {
            int to = Math.min(s.size(), from + batch);
            int[] idx = new int[to - from];
            for (int i = 0; i < idx.length; i++) idx[i] = from + i;
            try (NDManager sm = root.newSubManager()) {
                float[] buf = new float[idx.length * s.imageBytes()];
                pre.normalise(s, idx, buf, null, 0, false);
                NDArray x = sm.create(buf, new Shape(idx.length, s.channels(), s.height(), s.width()));
                float[] lp = model.forward(x, null).logSoftmax(1).toFloatArray();
                for (int i = 0; i < idx.length; i++) {
                    int best = 0;
                    for (int k = 1; k < c; k++) if (lp[i * c + k] > lp[i * c + best]) best = k;
                    int y = s.labels()[idx[i]];
                    if (best == y) correct++;
                    loss -= y < c ? lp[i * c + y] : Double.NaN;
                }
            }
        }
        return new Result(s.size(), (double) correct / s.size(), loss / s.size());
    }

    /** Logits [n, classes] of the first n images, row-major. */
    public static float[] vitLogits(VitModel model, ImageSet set, Preprocessor pre, int batch, int limit) {
        ImageSet s = set.limit(limit);
        int c = model.config().numLabels;
        float[] out = new float[s.size() * c];
        NDManager root = model.params().manager();
        for (int from = 0; from < s.size(); from += batch) {
            int to = Math.min(s.size(), from + batch);
            int[] idx = new int[to - from];
            for (int i = 0; i < idx.length; i++) idx[i] = from + i;
            try (NDManager sm = root.newSubManager()) {
                float[] buf = new float[idx.length * s.imageBytes()];
                pre.normalise(s, idx, buf, null, 0, false);
                float[] lg = model.forward(sm.create(buf, new Shape(idx.length, s.channels(), s.height(), s.width())), null).toFloatArray();
                System.arraycopy(lg, 0, out, from * c, lg.length);
            }
        }
        return out;
    }
}
