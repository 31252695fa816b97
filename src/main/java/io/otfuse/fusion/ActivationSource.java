package io.otfuse.fusion;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Activations of named modules of one model on a shared set of samples. {@link ModelActivationSource}
 * implements it with the models package; tests use small stand-ins. Weights-based fusion never touches it.
 */
public interface ActivationSource {
    /** What to run: the data set spec ({@code --data}), how many samples, and the seed that picks them. */
    record Samples(String data, int count, long seed) {}

    /**
     * Runs the model in {@code modelDir} on the samples (the same samples, in the same order, for every model)
     * and returns, for each requested HF module name, one {@code [tokens][width]} array per sample. A module
     * whose output has no token axis returns one token per sample.
     */
    Map<String, List<float[][]>> collect(Path modelDir, List<String> modules, Samples samples);

    /** The data set used when {@code --data} is not given, or null when there is none. */
    default String defaultData(io.otfuse.io.ModelConfig.Family family) {
        return null;
    }
}
