package io.otfuse.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.otfuse.io.BertConfig;
import io.otfuse.io.Checkpoint;
import io.otfuse.io.ModelConfig;
import io.otfuse.io.SafetensorsFile;
import io.otfuse.io.TensorInfo;
import io.otfuse.io.VitConfig;
import io.otfuse.io.WeightStore;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** Describes a checkpoint folder or a single safetensors file. */
@Command(name = "inspect", description = "Show a checkpoint's architecture, sizes, dtypes, tensors and files.")
public final class InspectCommand implements Callable<Integer> {
    @Parameters(paramLabel = "DIR", description = "A checkpoint folder (config.json + safetensors) or a .safetensors file.")
    Path path;

    @Option(names = "--json", description = "Print JSON instead of a table.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        ObjectNode report = new ObjectMapper().createObjectNode();
        report.put("path", path.toString());
        if (Files.isRegularFile(path)) {
            try (SafetensorsFile f = SafetensorsFile.open(path)) {
                report.put("architecture", "(weights only)");
                fill(report, f.tensors(), f.metadata());
                report.putArray("files").addObject().put("name", path.getFileName().toString()).put("bytes", f.fileSize());
            }
        } else {
            try (Checkpoint c = Checkpoint.open(path)) {
                ModelConfig cfg = c.config();
                report.put("architecture", cfg.architecture());
                ObjectNode s = report.putObject("sizes");
                s.put("hidden_size", cfg.hiddenSize);
                s.put("num_hidden_layers", cfg.numHiddenLayers);
                s.put("num_attention_heads", cfg.numAttentionHeads);
                s.put("intermediate_size", cfg.intermediateSize);
                if (cfg instanceof VitConfig v) {
                    s.put("image_size", v.imageSize);
                    s.put("patch_size", v.patchSize);
                    s.put("num_channels", v.numChannels);
                    s.put("num_labels", v.numLabels);
                    s.put("tokens", v.seqLength());
                } else if (cfg instanceof BertConfig b) {
                    s.put("vocab_size", b.vocabSize);
                    s.put("max_position_embeddings", b.maxPositionEmbeddings);
                    s.put("type_vocab_size", b.typeVocabSize);
                }
                WeightStore w = c.weights();
                Map<String, TensorInfo> all = new java.util.LinkedHashMap<>();
                for (String n : w.names()) all.put(n, w.info(n));
                fill(report, all, w.files().get(0).metadata());
                ArrayNode files = report.putArray("files");
                try (var list = Files.list(path)) {
                    list.filter(Files::isRegularFile).sorted().forEach(p -> {
                        try {
                            files.addObject().put("name", p.getFileName().toString()).put("bytes", Files.size(p));
                        } catch (java.io.IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    });
                }
            }
        }
        if (json) {
            out.println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(report));
        } else {
            printTable(out, report);
        }
        return 0;
    }

    private static void fill(ObjectNode report, Map<String, TensorInfo> tensors, Map<String, String> metadata) {
        Map<String, Long> dtypes = new java.util.TreeMap<>();
        long params = 0;
        long bytes = 0;
        ArrayNode arr = report.putArray("tensors");
        java.util.List<TensorInfo> sorted = new java.util.ArrayList<>(tensors.values());
        sorted.sort(java.util.Comparator.comparing(TensorInfo::name));
        for (TensorInfo t : sorted) {
            ObjectNode o = arr.addObject();
            o.put("name", t.name());
            o.put("dtype", t.dtype().name());
            ArrayNode sh = o.putArray("shape");
            for (long d : t.shape()) sh.add(d);
            o.put("numel", t.numel());
            params += t.numel();
            bytes += t.byteSize();
            dtypes.merge(t.dtype().name(), t.numel(), Long::sum);
        }
        ObjectNode d = report.putObject("dtypes");
        dtypes.forEach(d::put);
        report.put("tensor_count", tensors.size());
        report.put("parameters", params);
        report.put("tensor_bytes", bytes);
        ObjectNode m = report.putObject("metadata");
        metadata.forEach(m::put);
    }

    private static void printTable(PrintWriter out, ObjectNode r) {
        out.println("path:         " + r.get("path").asText());
        out.println("architecture: " + r.get("architecture").asText());
        if (r.has("sizes")) {
            StringBuilder sb = new StringBuilder();
            r.get("sizes").fields().forEachRemaining(e -> sb.append(sb.length() == 0 ? "" : ", ").append(e.getKey()).append('=').append(e.getValue().asText()));
            out.println("sizes:        " + sb);
        }
        StringBuilder dt = new StringBuilder();
        r.get("dtypes").fields().forEachRemaining(e -> dt.append(dt.length() == 0 ? "" : ", ").append(e.getKey()).append(" (").append(e.getValue().asLong()).append(" values)"));
        out.println("dtypes:       " + dt);
        out.println("tensors:      " + r.get("tensor_count").asInt());
        out.println("parameters:   " + r.get("parameters").asLong());
        out.println();
        int w = 4;
        for (var t : r.get("tensors")) w = Math.max(w, t.get("name").asText().length());
        out.printf("%-" + w + "s  %-5s  %-20s  %s%n", "name", "dtype", "shape", "values");
        for (var t : r.get("tensors")) {
            out.printf("%-" + w + "s  %-5s  %-20s  %d%n", t.get("name").asText(), t.get("dtype").asText(), t.get("shape").toString(), t.get("numel").asLong());
        }
        out.println();
        out.println("files:");
        for (var f : r.get("files")) out.printf("  %-40s %d bytes%n", f.get("name").asText(), f.get("bytes").asLong());
    }
}
