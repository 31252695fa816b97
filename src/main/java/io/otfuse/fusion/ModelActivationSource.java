package io.otfuse.fusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.otfuse.io.BertConfig;
import io.otfuse.io.Checkpoint;
import io.otfuse.io.ExitCode;
import io.otfuse.io.ModelConfig;
import io.otfuse.io.OtfuseException;
import io.otfuse.io.VitConfig;
import io.otfuse.model.BertModel;
import io.otfuse.model.NativeHeap;
import io.otfuse.model.Taps;
import io.otfuse.model.VitModel;
import io.otfuse.model.data.ImageData;
import io.otfuse.model.data.ImageSet;
import io.otfuse.model.data.Preprocessor;
import io.otfuse.model.text.Corpus;
import io.otfuse.model.text.MlmData;
import io.otfuse.model.text.WordPiece;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

/**
 * Activations from the project's own ViT and BERT forwards: every model runs the same samples, drawn
 * with the fusion seed from the training split of the data set (Fashion-MNIST images for ViT, WordNet
 * gloss blocks for BERT by default), and the requested HF module outputs are handed on through taps as the forward
 * computes them, one batch of samples at a time, without copies.
 */
public final class ModelActivationSource implements ActivationSource {
    private static final int BATCH = 50;

    private ImageSet images;
    private Samples imagesFor;

    @Override
    public String defaultData(ModelConfig.Family family) {
        return family == ModelConfig.Family.VIT ? "fashion-mnist@train" : "wordnet@train";
    }

    @Override
    public void collect(Path dir, List<String> modules, Samples s, Consumer<Outputs> sink) {
        if (s.count() <= 0) throw new OtfuseException(ExitCode.USAGE, "--samples must be positive, got " + s.count());
        try (Checkpoint ck = Checkpoint.open(dir); NDManager m = NDManager.newBaseManager()) {
            Taps taps = Taps.of((module, x) -> sink.accept(outputs(module, x)), modules.toArray(String[]::new));
            if (ck.config() instanceof VitConfig vc) {
                vit(ck, vc, m, taps, s);
            } else {
                bert(ck, (BertConfig) ck.config(), m, taps, s);
            }
        } finally {
            NativeHeap.trim(); // the closed model's weights would otherwise stay in glibc's arenas
        }
    }

    /** A module's output as a view of the engine's memory (a contiguous copy first when it is a strided view, like Q, K and V). */
    private static Outputs outputs(String module, NDArray x) {
        NDArray f = x.toType(DataType.FLOAT32, false);
        long[] shape = f.getShape().getShape();
        int tokens = shape.length == 3 ? (int) shape[1] : 1;
        return new Outputs(module, (int) shape[0], tokens, (int) shape[shape.length - 1], f.toByteBuffer(true));
    }

    /**
     * The images to run, in the order they run: the first {@code count} of the training split shuffled with the seed.
     * Kept for the next model, which runs the same ones (the data set is read once per fusion).
     */
    private ImageSet images(Samples s) {
        if (!s.equals(imagesFor)) {
            ImageSet set = ImageData.load(s.data(), "train");
            if (set.size() < s.count()) {
                throw new OtfuseException(ExitCode.USAGE, "--samples " + s.count() + " exceeds the " + set.size() + " images of " + s.data());
            }
            images = set.select(Arrays.copyOf(shuffled(set.size(), s.seed()), s.count()));
            imagesFor = s;
        }
        return images;
    }

    private void vit(Checkpoint ck, VitConfig vc, NDManager m, Taps taps, Samples s) {
        ImageSet set = images(s);
        Preprocessor pre = Preprocessor.read(ck.dir(), vc.numChannels, vc.imageSize);
        try (VitModel model = VitModel.load(ck, m)) {
            for (int b = 0; b < s.count(); b += BATCH) {
                int[] idx = java.util.stream.IntStream.range(b, Math.min(s.count(), b + BATCH)).toArray();
                try (NDManager sub = m.newSubManager()) {
                    model.forward(pre.batch(sub, set, idx), taps);
                }
            }
        }
    }

    private static void bert(Checkpoint ck, BertConfig bc, NDManager m, Taps taps, Samples s) {
        Path vocab = ck.dir().resolve("vocab.txt");
        if (!Files.isRegularFile(vocab)) throw new OtfuseException(ExitCode.BAD_CHECKPOINT, vocab + ": missing (BERT activations need the model's tokenizer)");
        WordPiece wp = WordPiece.readVocab(vocab);
        List<String> passages = new ArrayList<>(Corpus.load(s.data(), "train"));
        Collections.shuffle(passages, new Random(s.seed()));
        // pack shuffled passages into full-length blocks until there are enough samples
        MlmData blocks = null;
        for (int take = Math.min(passages.size(), 16 * s.count()); ; take = Math.min(passages.size(), take * 2)) {
            blocks = new MlmData(passages.subList(0, take), wp, bc.maxPositionEmbeddings);
            if (blocks.size() >= s.count() || take == passages.size()) break;
        }
        if (blocks.size() < s.count()) {
            throw new OtfuseException(ExitCode.USAGE, "--samples " + s.count() + " exceeds the " + blocks.size() + " text blocks of " + s.data());
        }
        try (BertModel model = BertModel.load(ck, m)) {
            for (int b = 0; b < s.count(); b += BATCH) {
                int n = Math.min(s.count(), b + BATCH) - b;
                long[] ids = new long[n * bc.maxPositionEmbeddings];
                for (int i = 0; i < n; i++) {
                    int[] blk = blocks.block(b + i);
                    for (int t = 0; t < blk.length; t++) ids[i * bc.maxPositionEmbeddings + t] = blk[t];
                }
                try (NDManager sub = m.newSubManager()) {
                    model.forward(sub.create(ids, new Shape(n, bc.maxPositionEmbeddings)), null, taps);
                }
            }
        }
    }

    private static int[] shuffled(int n, long seed) {
        List<Integer> l = new ArrayList<>(n);
        for (int i = 0; i < n; i++) l.add(i);
        Collections.shuffle(l, new Random(seed));
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = l.get(i);
        return out;
    }
}
