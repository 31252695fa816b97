package io.otfuse.model.train;

import ai.djl.ndarray.NDManager;
import io.otfuse.io.Checkpoint;

/** Masked-LM evaluation of a BERT checkpoint. */
public final class BertEval {
    private BertEval() {}

    public record Result(long sequences, long masked, double loss, double accuracy, double unigramPerplexity) {}

    public static Result evaluate(Checkpoint ck, NDManager m, String spec, int limit, int batch, long seed) {
        throw new UnsupportedOperationException("not yet");
    }
}
