package io.otfuse.model.train;

import ai.djl.ndarray.NDManager;
import io.otfuse.io.BertConfig;
import io.otfuse.io.Checkpoint;
import io.otfuse.io.ExitCode;
import io.otfuse.io.OtfuseException;
import io.otfuse.model.BertModel;
import io.otfuse.model.text.Corpus;
import io.otfuse.model.text.MlmData;
import io.otfuse.model.text.WordPiece;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/** Masked-LM evaluation: loss, perplexity and accuracy at masked positions, plus the unigram baseline. */
public final class BertEval {
    public static final long EVAL_SEED = 1234;

    private BertEval() {}

    public record Result(long sequences, long masked, double loss, double accuracy, double unigramPerplexity) {}

    /** Evaluates a checkpoint on the validation split of SPEC (unigram statistics from its train split). */
    public static Result evaluate(Checkpoint ck, NDManager m, String spec, int limit, int batch, long seed) {
        Path vocab = ck.dir().resolve("vocab.txt");
        if (!Files.isRegularFile(vocab)) throw new OtfuseException(ExitCode.BAD_CHECKPOINT, vocab + ": missing (a BERT checkpoint needs its tokenizer)");
        WordPiece wp = WordPiece.readVocab(vocab);
        BertConfig c = (BertConfig) ck.config();
        if (wp.size() != c.vocabSize) throw new OtfuseException(ExitCode.BAD_CHECKPOINT, vocab + ": " + wp.size() + " tokens but config.json says vocab_size " + c.vocabSize);
        int maxLen = c.maxPositionEmbeddings;
        String base = spec.contains("@") ? spec.substring(0, spec.lastIndexOf('@')) : spec;
        MlmData trainStats = new MlmData(Corpus.load(base, "train"), wp, maxLen);
        MlmData val = new MlmData(Corpus.load(spec, "validation"), wp, maxLen);
        if (limit > 0 && limit < val.size()) val = val.limit(limit);
        try (BertModel model = BertModel.load(ck, m)) {
            return run(model, val, batch, seed, 0.15, trainStats.unigramCounts(), trainStats.unigramTotal());
        }
    }

    public static Result run(BertModel model, MlmData data, int batch, long seed, double p, long[] unigram, long unigramTotal) {
        Random r = new Random(seed);
        double nll = 0, uni = 0;
        long n = 0, correct = 0;
        int v = unigram.length;
        NDManager root = model.params().manager();
        for (int from = 0; from < data.size(); from += batch) {
            int to = Math.min(data.size(), from + batch);
            int[] idx = new int[to - from];
            for (int i = 0; i < idx.length; i++) idx[i] = from + i;
            MlmData.Masked mk = data.mask(idx, p, r);
            try (NDManager sm = root.newSubManager()) {
                var ids = sm.create(mk.ids(), new ai.djl.ndarray.types.Shape(idx.length, data.maxLen()));
                var h = model.encode(ids, null, null, null, false);
                var sel = h.reshape(-1, model.config().hiddenSize).get(sm.create(mk.positions()));
                var lp = model.head(sel, null).logSoftmax(1);
                float[] pick = lp.gather(sm.create(mk.labels()).reshape(-1, 1), 1).toFloatArray();
                long[] am = lp.argMax(1).toLongArray();
                for (int i = 0; i < pick.length; i++) {
                    nll -= pick[i];
                    if (am[i] == mk.labels()[i]) correct++;
                    int y = (int) mk.labels()[i];
                    uni -= Math.log((unigram[y] + 1.0) / (unigramTotal + v));
                }
                n += pick.length;
            }
        }
        return new Result(data.size(), n, nll / n, (double) correct / n, Math.exp(uni / n));
    }
}
