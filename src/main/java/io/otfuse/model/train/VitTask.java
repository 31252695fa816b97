package io.otfuse.model.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.otfuse.model.Params;
import io.otfuse.model.VitModel;
import io.otfuse.model.data.ImageSet;
import io.otfuse.model.data.Preprocessor;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Image classification with label-smoothed cross-entropy; evaluation = test accuracy and loss. */
public final class VitTask implements Task {
    private final VitModel model;
    private final ImageSet train, test;
    private final Preprocessor pre;
    private final TrainOptions o;

    public VitTask(VitModel model, ImageSet train, ImageSet test, Preprocessor pre, TrainOptions o) {
        this.model = model;
        this.train = train;
        this.test = test;
        this.pre = pre;
        this.o = o;
        model.setDropout((float) o.dropout, (float) o.dropout);
    }

    @Override
    public int examples() {
        return train.size();
    }

    @Override
    public NDArray loss(int[] batch, Random rng, NDManager sm) {
        int c = model.config().numLabels;
        NDArray x = images(sm, train, batch, rng);
        float eps = (float) o.labelSmoothing;
        float[] target = new float[batch.length * c];
        java.util.Arrays.fill(target, eps / c);
        for (int i = 0; i < batch.length; i++) target[i * c + train.labels()[batch[i]]] += 1 - eps;
        NDArray logits = model.forward(x, null, true);
        return logits.logSoftmax(1).mul(sm.create(target, new Shape(batch.length, c))).sum(new int[] {1}).mean().neg();
    }

    NDArray images(NDManager sm, ImageSet set, int[] idx, Random rng) {
        float[] buf = new float[idx.length * set.imageBytes()];
        pre.normalise(set, idx, buf, rng, rng == null ? 0 : o.cropPad, rng != null && o.flip);
        return sm.create(buf, new Shape(idx.length, set.channels(), set.height(), set.width()));
    }

    @Override
    public long units(int[] batch) {
        return batch.length;
    }

    @Override
    public String unit() {
        return "img";
    }

    @Override
    public Map<String, Double> evaluate() {
        Eval.Result r = Eval.vit(model, test, pre, 500, 0);
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("test_accuracy", r.accuracy());
        m.put("test_loss", r.loss());
        return m;
    }

    @Override
    public void save(Path out, Map<String, byte[]> files) {
        Map<String, byte[]> all = new LinkedHashMap<>();
        all.put(Preprocessor.FILE, pre.toJson());
        all.putAll(files);
        model.save(out, true, List.of(), all);
    }

    @Override
    public Params params() {
        return model.params();
    }
}
