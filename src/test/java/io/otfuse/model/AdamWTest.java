package io.otfuse.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.otfuse.io.VitConfig;
import io.otfuse.model.train.AdamW;
import io.otfuse.model.train.Schedule;
import java.util.List;
import org.junit.jupiter.api.Test;

class AdamWTest {
    /** Two steps on loss = sum(w * c) against torch.optim.AdamW's formulas in double. */
    @Test
    void matchesTorchAdamWAndSkipsNonFiniteGradients() {
        VitConfig cfg = VitConfig.create(8, 1, 2, 8, 4, 2, 1, List.of("a", "b"));
        try (NDManager m = NDManager.newBaseManager(); Params p = Params.init(cfg, 1, m)) {
            String n = "classifier.weight"; // decayed
            float[] w0 = p.get(n).toFloatArray();
            p.requireGradients(true);
            AdamW opt = new AdamW(p, 0.9f, 0.999f, 1e-8f);
            double lr = 0.01, wd = 0.1;
            double[] w = new double[w0.length], mm = new double[w0.length], vv = new double[w0.length];
            for (int i = 0; i < w.length; i++) w[i] = w0[i];
            for (int step = 1; step <= 2; step++) {
                try (NDManager sm = m.newSubManager()) {
                    NDArray c = sm.arange(1f, w0.length + 1f).reshape(p.get(n).getShape()).mul(step == 1 ? 0.01f : -0.02f);
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        gc.backward(p.get(n).mul(c).sum());
                    }
                    opt.step((float) lr, (float) wd, 0f, sm);
                }
                for (int i = 0; i < w.length; i++) {
                    double g = (i + 1) * (step == 1 ? 0.01 : -0.02);
                    w[i] *= 1 - lr * wd;
                    mm[i] = 0.9 * mm[i] + 0.1 * g;
                    vv[i] = 0.999 * vv[i] + 0.001 * g * g;
                    double mh = mm[i] / (1 - Math.pow(0.9, step)), vh = Math.sqrt(vv[i] / (1 - Math.pow(0.999, step)));
                    w[i] -= lr * mh / (vh + 1e-8);
                }
            }
            float[] got = p.get(n).toFloatArray();
            for (int i = 0; i < w.length; i++) assertEquals(w[i], got[i], 1e-5, "element " + i);
            // a NaN gradient is skipped: weights unchanged, step count unchanged
            long before = opt.stepCount();
            try (NDManager sm = m.newSubManager()) {
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    gc.backward(p.get(n).mul(Float.NaN).sum());
                }
                assertTrue(Double.isNaN(opt.step(0.01f, 0.1f, 1f, sm)));
            }
            assertEquals(before, opt.stepCount());
            assertEquals(1, opt.skippedSteps());
            float[] after = p.get(n).toFloatArray();
            for (int i = 0; i < w.length; i++) assertEquals(got[i], after[i]);
            // the gradient was cleared: a zero-loss step afterwards only applies momentum and decay, finitely
            try (NDManager sm = m.newSubManager()) {
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    gc.backward(p.get(n).mul(0f).sum());
                }
                assertTrue(Double.isFinite(opt.step(0.01f, 0.1f, 1f, sm)));
            }
            for (float f : p.get(n).toFloatArray()) assertTrue(Float.isFinite(f));
        }
        Schedule s = new Schedule(1.0, 10, 110);
        assertEquals(0.1, s.at(0), 1e-6);
        assertEquals(1.0, s.at(10), 1e-6);
        assertEquals(0.5, s.at(60), 1e-6);
    }
}
