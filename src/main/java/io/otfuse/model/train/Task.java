package io.otfuse.model.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

/** What the training loop trains: a model, its training examples and its evaluation. */
public interface Task {
    /** Training examples per epoch. */
    int examples();

    /** The training loss of the examples {@code batch} (indices), computed under {@code sm}. */
    NDArray loss(int[] batch, Random rng, NDManager sm);

    /** Throughput units (images or tokens) in a batch. */
    long units(int[] batch);

    String unit();

    /** Evaluation metrics (e.g. accuracy; MLM loss and perplexity). */
    Map<String, Double> evaluate();

    /** Writes the model folder with extra files (trainer state, optimizer state). */
    void save(Path out, Map<String, byte[]> files);

    io.otfuse.model.Params params();
}
