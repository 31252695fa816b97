package io.otfuse.model.train;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.otfuse.io.Checkpoint;
import java.io.PrintStream;
import java.nio.file.Path;

final class BertTraining {
    private BertTraining() {}

    static ObjectNode train(Training.BertShape shape, Checkpoint start, String spec, TrainOptions o, Path out, ObjectNode resumed, boolean progress, PrintStream log) {
        throw new UnsupportedOperationException("BERT training: not yet");
    }
}
