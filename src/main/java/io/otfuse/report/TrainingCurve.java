package io.otfuse.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.otfuse.io.ExitCode;
import io.otfuse.io.OtfuseException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Metrics per epoch of one training or finetuning run, e.g. {@code test_accuracy}, {@code test_loss},
 * {@code train_loss}. Epochs may start at 0 (the model before finetuning) or be fractional.
 */
public record TrainingCurve(double[] epochs, Map<String, double[]> metrics) {
    private static final Set<String> NOT_METRICS = Set.of("epoch", "step", "train_seconds", "eval_seconds", "throughput");

    public TrainingCurve {
        for (Map.Entry<String, double[]> e : metrics.entrySet()) {
            if (e.getValue().length != epochs.length)
                throw new IllegalArgumentException("metric '" + e.getKey() + "' has " + e.getValue().length + " values for " + epochs.length + " epochs");
        }
    }

    /** The values of one metric, or null. */
    public double[] metric(String name) {
        return metrics.get(name);
    }

    /**
     * Reads the {@code history} of a {@code trainer_state.json} (the file, or the checkpoint folder holding it):
     * one point per entry at its {@code epoch}; every numeric key other than epoch, step, timings and throughput is a
     * metric (missing values are NaN).
     */
    public static TrainingCurve fromTrainerState(Path fileOrFolder) {
        Path f = Files.isDirectory(fileOrFolder) ? fileOrFolder.resolve("trainer_state.json") : fileOrFolder;
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readAllBytes(f));
        } catch (IOException ex) {
            throw new OtfuseException(ExitCode.IO_FAILURE, f + ": cannot read training history (" + String.valueOf(ex.getMessage()).split("\n")[0] + ")", ex);
        }
        JsonNode h = root.path("history");
        if (!h.isArray()) throw new OtfuseException(ExitCode.BAD_CONFIG, f + ": no \"history\" array");
        List<String> names = new ArrayList<>();
        for (JsonNode e : h) {
            e.fields().forEachRemaining(kv -> {
                if (kv.getValue().isNumber() && !NOT_METRICS.contains(kv.getKey()) && !names.contains(kv.getKey())) names.add(kv.getKey());
            });
        }
        double[] epochs = new double[h.size()];
        Map<String, double[]> m = new LinkedHashMap<>();
        for (String n : names) m.put(n, new double[h.size()]);
        for (int i = 0; i < h.size(); i++) {
            JsonNode e = h.get(i);
            epochs[i] = e.path("epoch").asDouble(i + 1);
            for (String n : names) m.get(n)[i] = e.path(n).isNumber() ? e.path(n).asDouble() : Double.NaN;
        }
        return new TrainingCurve(epochs, m);
    }
}
