package io.otfuse.model.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.otfuse.io.BertConfig;
import io.otfuse.io.VitConfig;
import io.otfuse.model.BertModel;
import io.otfuse.model.Params;
import io.otfuse.model.VitModel;
import io.otfuse.model.train.AdamW;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Training-step throughput of the DJL ViT and BERT on random data (the Java half of
 * bench/train-vs-torch). Prints one line per model: "java vit img/s X" and "java bert tok/s Y", plus
 * the split of a step into forward, backward and optimizer time.
 *
 * <p>Usage: TrainBench vit|bert|both [steps] [batch]
 */
public final class TrainBench {
    public static void main(String[] args) {
        String which = args.length > 0 ? args[0] : "both";
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 30;
        int batch = args.length > 2 ? Integer.parseInt(args[2]) : 128;
        if (which.equals("vit") || which.equals("both")) vit(steps, batch);
        if (which.equals("bert") || which.equals("both")) bert(steps, Math.max(1, batch / 2));
    }

    static void vit(int steps, int batch) {
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < 10; i++) labels.add(Integer.toString(i));
        VitConfig cfg = VitConfig.create(64, 4, 4, 128, 28, 7, 1, labels);
        Random r = new Random(0);
        float[] x = new float[batch * 784];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        float[] target = new float[batch * 10];
        for (int i = 0; i < batch; i++) target[i * 10 + r.nextInt(10)] = 1;
        try (NDManager root = NDManager.newBaseManager(); VitModel model = new VitModel(Params.init(cfg, 0, root))) {
            model.params().requireGradients(true);
            AdamW opt = new AdamW(model.params(), 0.9f, 0.999f, 1e-8f);
            double[] t = run(steps, root, opt, sm -> {
                NDArray in = sm.create(x, new Shape(batch, 1, 28, 28));
                NDArray lg = model.forward(in, null, true);
                return lg.logSoftmax(1).mul(sm.create(target, new Shape(batch, 10))).sum(new int[] {1}).mean().neg();
            });
            System.out.printf("java vit img/s %.1f  (per step: forward %.1f ms, backward %.1f ms, optimizer %.1f ms; batch %d, %d steps, %s threads)%n",
                    batch / t[0], t[1] * 1e3, t[2] * 1e3, t[3] * 1e3, batch, steps, System.getProperty("ai.djl.pytorch.num_threads", "default"));
        }
    }

    static void bert(int steps, int batch) {
        int len = 64, vocab = 8000;
        BertConfig cfg = BertConfig.create(128, 4, 4, 512, vocab, len);
        Random r = new Random(0);
        long[] ids = new long[batch * len];
        for (int i = 0; i < ids.length; i++) ids[i] = 5 + r.nextInt(vocab - 5);
        int masked = (int) Math.round(batch * len * 0.15);
        long[] pos = new long[masked];
        long[] lab = new long[masked];
        for (int i = 0; i < masked; i++) {
            pos[i] = (long) i * batch * len / masked;
            lab[i] = 5 + r.nextInt(vocab - 5);
        }
        try (NDManager root = NDManager.newBaseManager(); BertModel model = new BertModel(Params.init(cfg, 0, root))) {
            model.params().requireGradients(true);
            AdamW opt = new AdamW(model.params(), 0.9f, 0.999f, 1e-8f);
            double[] t = run(steps, root, opt, sm -> {
                NDArray in = sm.create(ids, new Shape(batch, len));
                NDArray h = model.encode(in, null, null, null, true).reshape(-1, 128);
                NDArray sel = h.get(sm.create(pos));
                NDArray lp = model.head(sel, null).logSoftmax(1);
                return lp.gather(sm.create(lab).reshape(-1, 1), 1).mean().neg();
            });
            System.out.printf("java bert tok/s %.1f  (per step: forward %.1f ms, backward %.1f ms, optimizer %.1f ms; batch %d x %d, %d steps, %s threads)%n",
                    batch * len / t[0], t[1] * 1e3, t[2] * 1e3, t[3] * 1e3, batch, len, steps, System.getProperty("ai.djl.pytorch.num_threads", "default"));
        }
    }

    interface Step {
        NDArray loss(NDManager sm);
    }

    /** Returns seconds per step: total, forward, backward, optimizer (after 3 warm-up steps). */
    static double[] run(int steps, NDManager root, AdamW opt, Step f) {
        double tf = 0, tb = 0, to = 0;
        long start = 0;
        for (int s = -3; s < steps; s++) {
            if (s == 0) start = System.nanoTime();
            try (NDManager sm = root.newSubManager()) {
                long a = System.nanoTime();
                long b, c;
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray l = f.loss(sm);
                    l.getFloat();
                    b = System.nanoTime();
                    gc.backward(l);
                }
                c = System.nanoTime();
                opt.step(1e-4f, 0.01f, 1f, sm);
                long d = System.nanoTime();
                if (s >= 0) {
                    tf += (b - a) / 1e9;
                    tb += (c - b) / 1e9;
                    to += (d - c) / 1e9;
                }
            }
        }
        double total = (System.nanoTime() - start) / 1e9;
        return new double[] {total / steps, tf / steps, tb / steps, to / steps};
    }
}
