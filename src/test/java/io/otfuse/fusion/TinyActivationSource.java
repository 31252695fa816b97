package io.otfuse.fusion;

import io.otfuse.io.Checkpoint;
import io.otfuse.io.VitConfig;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;

/**
 * Activations from {@link TinyForward} on random inputs (the seed fixes the samples, so every model sees the same),
 * handed on in batches of {@link #BATCH} samples.
 */
final class TinyActivationSource implements ActivationSource {
    static final int BATCH = 4;

    @Override
    public void collect(Path modelDir, List<String> modules, Samples samples, Consumer<Outputs> sink) {
        Random r = new Random(samples.seed());
        try (Checkpoint c = Checkpoint.open(modelDir)) {
            for (int b = 0; b < samples.count(); b += BATCH) {
                Map<String, List<float[][]>> batch = new HashMap<>();
                TinyForward.rec = batch;
                for (int s = b; s < Math.min(samples.count(), b + BATCH); s++) {
                    if (c.config() instanceof VitConfig v) {
                        float[] img = new float[v.numChannels * v.imageSize * v.imageSize];
                        for (int i = 0; i < img.length; i++) img[i] = (float) r.nextGaussian();
                        TinyForward.vit(c, img);
                    } else {
                        int[] ids = new int[8];
                        for (int i = 0; i < ids.length; i++) ids[i] = r.nextInt(50);
                        TinyForward.bert(c, ids);
                    }
                }
                for (String m : modules) if (batch.containsKey(m)) sink.accept(outputs(m, batch.get(m)));
            }
        } finally {
            TinyForward.rec = null;
        }
    }

    /** Per-sample [tokens][width] arrays as one buffer, little- or big-endian by the module name (both orders are covered). */
    private static Outputs outputs(String module, List<float[][]> perSample) {
        int t = perSample.get(0).length, w = perSample.get(0)[0].length;
        ByteOrder order = module.hashCode() % 2 == 0 ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN;
        ByteBuffer b = ByteBuffer.allocateDirect(perSample.size() * t * w * 4).order(order);
        FloatBuffer f = b.asFloatBuffer();
        for (float[][] smp : perSample) for (float[] row : smp) f.put(row);
        return new Outputs(module, perSample.size(), t, w, b);
    }
}
