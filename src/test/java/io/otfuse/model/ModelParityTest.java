package io.otfuse.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.otfuse.io.BertConfig;
import io.otfuse.io.Checkpoint;
import io.otfuse.io.CheckpointWriter;
import io.otfuse.io.DType;
import io.otfuse.io.HfLayout;
import io.otfuse.io.VitConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelParityTest {
    @TempDir Path tmp;

    static float[][][][] images(int n, int c, int s, long seed) {
        Random r = new Random(seed);
        float[][][][] x = new float[n][c][s][s];
        for (float[][][] a : x) for (float[][] b : a) for (float[] row : b) for (int i = 0; i < row.length; i++) row[i] = (float) r.nextGaussian();
        return x;
    }

    static float[] flat(float[][][][] x) {
        int n = x.length, c = x[0].length, s = x[0][0].length;
        float[] f = new float[n * c * s * s];
        int k = 0;
        for (float[][][] a : x) for (float[][] b : a) for (float[] row : b) for (float v : row) f[k++] = v;
        return f;
    }

    /** max |a - b| / max |b| over one vector. */
    static double relErr(float[] got, int off, double[] want) {
        double maxAbs = 0, maxDiff = 0;
        for (int i = 0; i < want.length; i++) {
            maxAbs = Math.max(maxAbs, Math.abs(want[i]));
            maxDiff = Math.max(maxDiff, Math.abs(got[off + i] - want[i]));
        }
        return maxDiff / Math.max(maxAbs, 1e-30);
    }

    void vitParity(VitConfig cfg, long seed) {
        Map<String, float[]> w = Reference.randomWeights(cfg, seed);
        Path dir = tmp.resolve("vit" + seed);
        try (NDManager m = NDManager.newBaseManager()) {
            try (VitModel made = new VitModel(Params.fromFloats(cfg, w, m))) {
                made.save(dir, false, List.of(), Map.of());
            }
            try (Checkpoint ck = Checkpoint.open(dir); VitModel model = VitModel.load(ck, m)) {
                assertEquals(w.keySet(), model.stateDict().keySet());
                int n = 3, c = cfg.numChannels, s = cfg.imageSize;
                float[][][][] img = images(n, c, s, seed + 1);
                NDArray x = m.create(flat(img), new Shape(n, c, s, s));
                float[] logits = model.forward(x, null).toFloatArray();
                Reference ref = new Reference(cfg, w);
                double worst = 0;
                for (int i = 0; i < n; i++) {
                    double[] want = new Reference(cfg, w).vit(img[i]);
                    worst = Math.max(worst, relErr(logits, i * cfg.numLabels, want));
                }
                assertTrue(worst < 1e-4, "ViT logits differ from the double reference: relative error " + worst);
            }
        }
    }

    @Test
    void vitOddSizesMatchDoubleReference() {
        VitConfig cfg = VitConfig.create(48, 2, 3, 80, 12, 4, 3, List.of("a", "b", "c", "d", "e"));
        vitParity(cfg, 11);
    }

    @Test
    void vitFashionShapeMatchesDoubleReference() {
        VitConfig cfg = VitConfig.create(64, 2, 4, 128, 28, 7, 1, List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"));
        vitParity(cfg, 12);
    }

    @Test
    void bertOddSizesMatchDoubleReferenceWithPadding() {
        BertConfig cfg = BertConfig.create(48, 2, 3, 80, 37, 16);
        Map<String, float[]> w = Reference.randomWeights(cfg, 5);
        Path dir = tmp.resolve("bert");
        try (NDManager m = NDManager.newBaseManager()) {
            try (BertModel made = new BertModel(Params.fromFloats(cfg, w, m))) {
                made.save(dir, false, List.of(), Map.of());
            }
            try (Checkpoint ck = Checkpoint.open(dir); BertModel model = BertModel.load(ck, m)) {
                int b = 2, t = 9;
                Random r = new Random(3);
                long[] ids = new long[b * t];
                float[] mask = new float[b * t];
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = r.nextInt(37);
                    mask[i] = (i >= t && i % t >= 6) ? 0 : 1; // second sequence padded after 6 tokens
                }
                float[] logits = model.forward(m.create(ids, new Shape(b, t)), m.create(mask, new Shape(b, t)), null).toFloatArray();
                double worst = 0;
                for (int s = 0; s < b; s++) {
                    int[] one = new int[t];
                    boolean[] keep = new boolean[t];
                    for (int j = 0; j < t; j++) {
                        one[j] = (int) ids[s * t + j];
                        keep[j] = mask[s * t + j] > 0;
                    }
                    double[][] want = new Reference(cfg, w).bert(one, keep);
                    for (int j = 0; j < t; j++) {
                        if (!keep[j]) continue;
                        worst = Math.max(worst, relErr(logits, (s * t + j) * 37, want[j]));
                    }
                }
                assertTrue(worst < 1e-4, "BERT logits differ from the double reference: relative error " + worst);
            }
        }
    }

    /**
     * Weights read from the file straight into engine memory (F32, and F16 widened on the way) are the arrays built from
     * the file's floats, and give the same logits.
     */
    @Test
    void loadReadsTheSameWeightsAsTheFloatsOfTheFile() {
        VitConfig cfg = VitConfig.create(48, 2, 3, 80, 12, 4, 3, List.of("a", "b", "c"));
        try (NDManager m = NDManager.newBaseManager()) {
            try (Params p = Params.fromFloats(cfg, Reference.randomWeights(cfg, 31), m)) {
                p.save(tmp.resolve("f32"), false, List.of(), Map.of());
                new CheckpointWriter(tmp.resolve("f16"), false).config(cfg).tensors(p.entries(DType.F16)).write();
            }
            NDArray x = m.create(flat(images(2, 3, 12, 32)), new Shape(2, 3, 12, 12));
            for (String d : List.of("f32", "f16")) {
                try (Checkpoint ck = Checkpoint.open(tmp.resolve(d)); VitModel loaded = VitModel.load(ck, m)) {
                    Map<String, float[]> floats = new java.util.LinkedHashMap<>();
                    for (String n : HfLayout.expected(cfg).keySet()) floats.put(n, ck.readFloats(n));
                    try (VitModel copied = new VitModel(Params.fromFloats(cfg, floats, m))) {
                        for (String n : floats.keySet()) assertArrayEquals(floats.get(n), loaded.params().get(n).toFloatArray(), d + " " + n);
                        assertArrayEquals(copied.forward(x, null).toFloatArray(), loaded.forward(x, null).toFloatArray(), d + " logits");
                    }
                }
            }
        }
    }

    /** An inference forward frees each layer's temporaries when the layer is done (only its output stays); training keeps them. */
    @Test
    void inferenceForwardKeepsOnlyTheLayersOutputs() {
        int[][] kept = new int[2][2]; // [inference, training][2 layers, 4 layers]
        for (int l = 0; l < 2; l++) {
            VitConfig cfg = VitConfig.create(48, 2 + 2 * l, 3, 80, 12, 4, 3, List.of("a", "b", "c"));
            try (NDManager m = NDManager.newBaseManager(); VitModel model = new VitModel(Params.fromFloats(cfg, Reference.randomWeights(cfg, 41), m))) {
                for (int training = 0; training < 2; training++) {
                    try (NDManager sub = m.newSubManager()) {
                        model.forward(sub.create(flat(images(2, 3, 12, 42)), new Shape(2, 3, 12, 12)), null, training == 1);
                        kept[training][l] = sub.getManagedArrays().size();
                    }
                }
            }
        }
        assertEquals(2, kept[0][1] - kept[0][0], "two more layers, two more outputs");
        assertTrue(kept[1][1] - kept[1][0] > 10, "training keeps every intermediate: " + kept[1][0] + " and " + kept[1][1]);
    }

    @Test
    void tapRecordsPreGeluActivation() {
        VitConfig cfg = VitConfig.create(48, 2, 3, 80, 12, 4, 3, List.of("a", "b", "c"));
        Map<String, float[]> w = Reference.randomWeights(cfg, 21);
        try (NDManager m = NDManager.newBaseManager(); VitModel model = new VitModel(Params.fromFloats(cfg, w, m))) {
            float[][][][] img = images(2, 3, 12, 22);
            // the taps' arrays are valid only during the call (an inference forward frees a layer's arrays after it)
            Map<String, float[]> got = new java.util.LinkedHashMap<>();
            Map<String, Shape> shapes = new java.util.HashMap<>();
            Taps taps = Taps.of((module, x) -> {
                got.put(module, x.toFloatArray());
                shapes.put(module, x.getShape());
            }, "vit.encoder.layer.*.intermediate.dense", "re:vit\\.encoder\\.layer\\.0\\.attention\\.attention\\.query");
            model.forward(m.create(flat(img), new Shape(2, 3, 12, 12)), taps);
            assertEquals(List.of("vit.encoder.layer.0.attention.attention.query", "vit.encoder.layer.0.intermediate.dense",
                    "vit.encoder.layer.1.intermediate.dense"), List.copyOf(got.keySet()));
            for (int i = 0; i < 2; i++) {
                Reference ref = new Reference(cfg, w);
                ref.vit(img[i]);
                for (String name : List.of("vit.encoder.layer.1.intermediate.dense", "vit.encoder.layer.0.attention.attention.query")) {
                    double[][] want = ref.acts.get(name);
                    assertEquals(new Shape(2, want.length, want[0].length), shapes.get(name));
                    float[] v = got.get(name);
                    for (int t = 0; t < want.length; t++) assertTrue(relErr(v, (i * want.length + t) * want[0].length, want[t]) < 1e-4, name + " token " + t);
                }
            }
            List<String> none = new java.util.ArrayList<>();
            model.forward(m.create(flat(img), new Shape(2, 3, 12, 12)), Taps.of((module, x) -> none.add(module)));
            assertTrue(none.isEmpty());
        }
    }

    @Test
    void bertTapsUseHfNames() {
        BertConfig cfg = BertConfig.create(32, 2, 4, 40, 20, 8);
        try (NDManager m = NDManager.newBaseManager(); BertModel model = new BertModel(Params.init(cfg, 1, m))) {
            Map<String, Shape> shapes = new java.util.HashMap<>();
            Taps taps = Taps.of((module, x) -> shapes.put(module, x.getShape()), "bert.encoder.layer.1.**", "bert.embeddings");
            model.forward(m.create(new long[] {2, 3, 4, 5, 6}, new Shape(1, 5)), null, taps);
            assertTrue(shapes.containsKey("bert.encoder.layer.1.attention.self.query"));
            assertTrue(shapes.containsKey("bert.encoder.layer.1.output.dense"));
            assertTrue(shapes.containsKey("bert.embeddings"));
            assertEquals(new Shape(1, 5, 40), shapes.get("bert.encoder.layer.1.intermediate.dense"));
        }
    }
}
