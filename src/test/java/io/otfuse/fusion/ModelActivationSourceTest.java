package io.otfuse.fusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.otfuse.io.BertConfig;
import io.otfuse.io.Checkpoint;
import io.otfuse.io.VitConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real activation source (the project's ViT and BERT forwards on Fashion-MNIST images and WordNet
 * text) drives exact alignment: a neuron-permuted copy is mapped back onto the original.
 */
class ModelActivationSourceTest {
    @TempDir
    Path tmp;

    private void recover(Path a, String tag) throws Exception {
        Path p = tmp.resolve(tag + "-p");
        Permuter.permute(a, 7, p, false);
        FusionOptions o = FusionOptions.preset("default");
        o.align = "activations";
        o.samples = 24;
        o.solver = "emd";
        o.weights = new double[] {0, 1};
        Path f = tmp.resolve(tag + "-f");
        Fusion.fuse(List.of(a, p), o, f, false, new ModelActivationSource(), null);
        try (Checkpoint ca = Checkpoint.open(a); Checkpoint cf = Checkpoint.open(f)) {
            for (String n : ca.weights().names()) {
                double d = PermuteRecoverTest.maxDiff(ca, cf, n);
                assertTrue(d < 1e-5, tag + ": " + n + " differs by " + d);
            }
        }
    }

    @Test
    void vitActivationsOnFashionMnistRecoverAPermutedCopy() throws Exception {
        VitConfig c = VitConfig.create(24, 2, 3, 40, 28, 7, 1, List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"));
        recover(TinyModels.write(tmp.resolve("vit"), c, 3, 0.2), "vit");
    }

    @Test
    void bertActivationsOnWordnetRecoverAPermutedCopy() throws Exception {
        // a character-level vocabulary, so every gloss word becomes real tokens
        List<String> vocab = new ArrayList<>(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"));
        for (char ch = 'a'; ch <= 'z'; ch++) vocab.add(String.valueOf(ch));
        for (char ch = 'a'; ch <= 'z'; ch++) vocab.add("##" + ch);
        BertConfig c = BertConfig.create(24, 2, 3, 40, vocab.size(), 32);
        Path a = TinyModels.write(tmp.resolve("bert"), c, 4, 0.2);
        Files.write(a.resolve("vocab.txt"), vocab);
        recover(a, "bert");
    }

    @Test
    void samplesAreTheSameForEveryModelAndFollowTheSeed() throws Exception {
        VitConfig c = VitConfig.create(12, 1, 3, 20, 28, 7, 1, List.of("0", "1"));
        Path a = TinyModels.write(tmp.resolve("s"), c, 5, 0.2);
        ModelActivationSource src = new ModelActivationSource();
        String tap = "vit.encoder.layer.0.intermediate.dense";
        // the second call runs the images the source kept from the first; a fresh source reads them again
        float[] x = values(src, a, tap, 1), y = values(src, a, tap, 1), z = values(src, a, tap, 2);
        assertEquals(6 * 17 * 20, x.length);
        assertArrayEquals(x, y);
        assertArrayEquals(x, values(new ModelActivationSource(), a, tap, 1));
        assertFalse(java.util.Arrays.equals(x, z));
    }

    /** Every value the source hands over for one module (checking the shape of the batch). */
    private static float[] values(ModelActivationSource src, Path model, String tap, long seed) {
        List<Float> all = new ArrayList<>();
        src.collect(model, List.of(tap), new ActivationSource.Samples("fashion-mnist@train", 6, seed), out -> {
            assertEquals(tap, out.module());
            assertEquals(List.of(6, 17, 20), List.of(out.samples(), out.tokens(), out.width()));
            java.nio.FloatBuffer f = out.values().asFloatBuffer();
            while (f.hasRemaining()) all.add(f.get());
        });
        float[] v = new float[all.size()];
        for (int i = 0; i < v.length; i++) v[i] = all.get(i);
        return v;
    }
}
