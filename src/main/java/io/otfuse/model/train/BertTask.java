package io.otfuse.model.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.otfuse.model.BertModel;
import io.otfuse.model.Params;
import io.otfuse.model.text.MlmData;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Masked-LM training on packed blocks; the MLM head runs only on the selected positions. */
public final class BertTask implements Task {
    private final BertModel model;
    private final MlmData train, val;
    private final TrainOptions o;
    private final Map<String, byte[]> tokenizerFiles;
    private final long[] unigram;
    private final long unigramTotal;

    public BertTask(BertModel model, MlmData train, MlmData val, TrainOptions o, Map<String, byte[]> tokenizerFiles) {
        this.model = model;
        this.train = train;
        this.val = val;
        this.o = o;
        this.tokenizerFiles = tokenizerFiles;
        this.unigram = train.unigramCounts();
        this.unigramTotal = train.unigramTotal();
        model.setDropout((float) o.dropout, (float) o.dropout);
    }

    @Override
    public int examples() {
        return train.size();
    }

    /** Mean cross-entropy of the MLM head at the masked positions. */
    static NDArray mlmLoss(BertModel model, MlmData.Masked mk, int b, int t, boolean training, NDManager sm) {
        NDArray ids = sm.create(mk.ids(), new Shape(b, t));
        NDArray h = model.encode(ids, null, null, null, training);
        NDArray sel = h.reshape(-1, model.config().hiddenSize).get(sm.create(mk.positions()));
        NDArray lp = model.head(sel, null).logSoftmax(1);
        return lp.gather(sm.create(mk.labels()).reshape(-1, 1), 1).neg();
    }

    @Override
    public NDArray loss(int[] batch, Random rng, NDManager sm) {
        MlmData.Masked mk = train.mask(batch, o.maskProb, rng);
        return mlmLoss(model, mk, batch.length, train.maxLen(), true, sm).mean();
    }

    @Override
    public long units(int[] batch) {
        return (long) batch.length * train.maxLen();
    }

    @Override
    public String unit() {
        return "tok";
    }

    @Override
    public Map<String, Double> evaluate() {
        BertEval.Result r = BertEval.run(model, val, 128, BertEval.EVAL_SEED, o.maskProb, unigram, unigramTotal);
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("val_mlm_loss", r.loss());
        m.put("val_perplexity", Math.exp(r.loss()));
        m.put("val_mlm_accuracy", r.accuracy());
        m.put("val_unigram_perplexity", r.unigramPerplexity());
        return m;
    }

    @Override
    public void save(Path out, Map<String, byte[]> files) {
        Map<String, byte[]> all = new LinkedHashMap<>(tokenizerFiles);
        all.putAll(files);
        model.save(out, true, List.of(), all);
    }

    @Override
    public Params params() {
        return model.params();
    }
}
