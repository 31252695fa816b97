package io.otfuse.fusion;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * Activations of named modules of one model on a shared set of samples. {@link ModelActivationSource}
 * implements it with the models package; tests use small stand-ins. Weights-based fusion never touches it.
 */
public interface ActivationSource {
    /** What to run: the data set spec ({@code --data}), how many samples, and the seed that picks them. */
    record Samples(String data, int count, long seed) {}

    /**
     * One module's output for a batch of consecutive samples: {@code samples x tokens x width} float32 values,
     * row-major, in the buffer's byte order from its position. The buffer may be the engine's memory: it is valid only
     * during the call that hands it over.
     */
    record Outputs(String module, int samples, int tokens, int width, ByteBuffer values) {}

    /**
     * Runs the model in {@code modelDir} on the samples (the same samples, in the same order, for every model) and
     * hands the output of each requested HF module to {@code sink} as it is computed: batches in sample order, every
     * module that produces an output once per batch. A module whose output has no token axis has one token per sample.
     */
    void collect(Path modelDir, List<String> modules, Samples samples, Consumer<Outputs> sink);

    /** The data set used when {@code --data} is not given, or null when there is none. */
    default String defaultData(io.otfuse.io.ModelConfig.Family family) {
        return null;
    }
}
