package io.otfuse.fusion;

import io.otfuse.io.Checkpoint;
import io.otfuse.io.VitConfig;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Activations from {@link TinyForward} on random inputs (the seed fixes the samples, so every model sees the same). */
final class TinyActivationSource implements ActivationSource {
    @Override
    public Map<String, List<float[][]>> collect(Path modelDir, List<String> modules, Samples samples) {
        Map<String, List<float[][]>> all = new HashMap<>();
        Random r = new Random(samples.seed());
        try (Checkpoint c = Checkpoint.open(modelDir)) {
            TinyForward.rec = all;
            for (int s = 0; s < samples.count(); s++) {
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
        } finally {
            TinyForward.rec = null;
        }
        Map<String, List<float[][]>> out = new LinkedHashMap<>();
        for (String m : modules) if (all.containsKey(m)) out.put(m, all.get(m));
        return out;
    }
}
