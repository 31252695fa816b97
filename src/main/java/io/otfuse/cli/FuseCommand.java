package io.otfuse.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.otfuse.fusion.ActivationSource;
import io.otfuse.fusion.Baselines;
import io.otfuse.fusion.Fusion;
import io.otfuse.fusion.FusionOptions;
import io.otfuse.io.ExitCode;
import io.otfuse.io.OtfuseException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "fuse", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Fuse models of one family (HF ViT or BERT) with optimal transport into the anchor's architecture.",
                "Values come from the preset, then --config FILE.yaml, then the flags given here. The resolved configuration is saved as "
                        + Fusion.CONFIG + " and a per-space report as " + Fusion.REPORT + " in the output folder."})
public class FuseCommand implements Callable<Integer> {
    /** Activations come from the project's own ViT and BERT forwards. */
    private static final ActivationSource ACTIVATIONS = new io.otfuse.fusion.ModelActivationSource();

    @Parameters(paramLabel = "MODEL_DIR", arity = "0..*", description = "Checkpoint folders (at least 2, or 'models' in --config)")
    List<Path> models = new ArrayList<>();
    @Option(names = "--out", description = "Output checkpoint folder")
    Path out;
    @Option(names = "--config", paramLabel = "FILE.yaml", description = "YAML file with any of the option keys (flags override it)")
    Path config;
    @Option(names = "--preset", description = "official (the reference implementation, quirks included) | default")
    String preset;
    @Option(names = "--anchor", paramLabel = "INDEX", description = "0-based position of the anchor among the models (default 0)")
    Integer anchor;
    @Option(names = "--align", description = "weights | activations")
    String align;
    @Option(names = "--solver", description = "emd | sinkhorn | sinkhorn-widening")
    String solver;
    @Option(names = "--reg", paramLabel = "LAMBDA", description = "Sinkhorn regularisation (> 0)")
    Double reg;
    @Option(names = "--qk", description = "separate | shared | joint")
    String qk;
    @Option(names = "--residual", paramLabel = "POLICY", description = "mean | only-skip | only-branch | identity | weighted-scalar | weighted-neuron")
    String residual;
    @Option(names = "--topology", description = "per-join (a map per residual join, as the reference) | shared-stream (one residual-stream map)")
    String topology;
    @Option(names = "--refine", paramLabel = "N", description = "shared-stream: re-solve the stream map from all its readers and writers, then the other maps, N times")
    Integer refine;
    @Option(names = "--tmap-norm", description = "rows (T*n0, reference) | columns | proper")
    String tmapNorm;
    @Option(names = "--head-aware", arity = "0..1", paramLabel = "true|false", description = "Match attention heads as blocks (one matching for Q, K, V), then neurons inside heads")
    Boolean headAware;
    @Option(names = "--metric", description = "euclidean | sq-euclidean | cosine")
    String metric;
    @Option(names = "--cost-norm", description = "max | mean | median | log | none")
    String costNorm;
    @Option(names = "--weight-norm", description = "row-l2 | max | abs-max | rms | none")
    String weightNorm;
    @Option(names = "--data", paramLabel = "SPEC", description = "Samples for --align activations (default: fashion-mnist@train for ViT, wordnet@train for BERT)")
    String data;
    @Option(names = "--samples", paramLabel = "N", description = "Number of activation samples")
    Integer samples;
    @Option(names = "--pca", paramLabel = "K", description = "Project activations onto the anchor's K leading principal directions before the cost (0: off)")
    Integer pca;
    @Option(names = "--tokens", description = "Activation tokens: all | cls | window-K")
    String tokens;
    @Option(names = "--weights", paramLabel = "w1,w2,...", description = "Per-model averaging weights (non-negative, sum 1)")
    String weights;
    @Option(names = "--seed", description = "Seed (activation samples)")
    Long seed;
    @Option(names = "--dtype", description = "Output dtype: f32 | f16 | bf16 (default: the anchor's)")
    String dtype;
    @Option(names = "--max-shard-size", paramLabel = "SIZE", description = "Shard the weights into files of at most SIZE (e.g. 5GB) with model.safetensors.index.json")
    String maxShardSize;
    @Option(names = "--force", description = "Replace an existing output folder")
    boolean force;
    @Option(names = "--allow-nonfinite", description = "Proceed even if a model has NaN or infinite weights (refused by default, exit code 7)")
    boolean allowNonfinite;
    @Option(names = "--vanilla", description = "Baseline: plain weighted average without any alignment (models must have equal shapes)")
    boolean vanilla;

    @Override
    public Integer call() {
        Map<String, Object> file = config == null ? Map.of() : readYaml(config);
        String presetName = preset != null ? preset : file.containsKey("preset") ? String.valueOf(file.get("preset")) : "default";
        FusionOptions o = FusionOptions.preset(presetName);
        List<Path> dirs = new ArrayList<>(models);
        Path outDir = out;
        for (Map.Entry<String, Object> e : file.entrySet()) {
            switch (e.getKey()) {
                case "models" -> {
                    if (!(e.getValue() instanceof List<?> l)) throw new OtfuseException(ExitCode.BAD_CONFIG, config + ": 'models' must be a list of folders");
                    if (dirs.isEmpty()) {
                        Path base = config.toAbsolutePath().getParent();
                        for (Object x : l) dirs.add(base.resolve(String.valueOf(x)));
                    }
                }
                case "out" -> {
                    if (outDir == null) outDir = config.toAbsolutePath().getParent().resolve(String.valueOf(e.getValue()));
                }
                default -> {
                    try {
                        o.set(e.getKey(), e.getValue());
                    } catch (OtfuseException ex) {
                        throw new OtfuseException(ExitCode.BAD_CONFIG, config + ": " + ex.getMessage().replace("unknown option", "unknown key")
                                .replace("(valid: ", "(valid: models, out, "));
                    }
                }
            }
        }
        Map<String, Object> flags = new LinkedHashMap<>();
        put(flags, "preset", preset);
        put(flags, "anchor", anchor);
        put(flags, "align", align);
        put(flags, "solver", solver);
        put(flags, "reg", reg);
        put(flags, "qk", qk);
        put(flags, "residual", residual);
        put(flags, "topology", topology);
        put(flags, "tmap-norm", tmapNorm);
        put(flags, "refine", refine);
        put(flags, "head-aware", headAware);
        put(flags, "metric", metric);
        put(flags, "cost-norm", costNorm);
        put(flags, "weight-norm", weightNorm);
        put(flags, "data", data);
        put(flags, "samples", samples);
        put(flags, "pca", pca);
        put(flags, "tokens", tokens);
        put(flags, "weights", weights);
        put(flags, "seed", seed);
        put(flags, "dtype", dtype);
        put(flags, "max-shard-size", maxShardSize);
        if (allowNonfinite) put(flags, "allow-nonfinite", true);
        flags.forEach(o::set);
        if (outDir == null) throw new OtfuseException(ExitCode.USAGE, "--out DIR is required (or 'out' in --config)");
        if (dirs.size() < 2) throw new OtfuseException(ExitCode.USAGE, "give at least 2 model folders (got " + dirs.size() + ")");
        long t0 = System.nanoTime();
        if (vanilla) {
            Baselines.vanilla(dirs, o.weights, outDir, force);
            System.out.printf("averaged %d models without alignment into %s, %.1f s%n", dirs.size(), outDir, (System.nanoTime() - t0) / 1e9);
            return 0;
        }
        Map<String, Object> report = Fusion.fuse(dirs, o, outDir, force, ACTIVATIONS, msg -> System.err.println("  " + msg));
        System.out.println(summary(report, outDir, (System.nanoTime() - t0) / 1e9));
        return 0;
    }

    static String summary(Map<String, Object> report, Path out, double seconds) {
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> spaces = (List<Map<String, Object>>) report.get("spaces");
        int solved = 0;
        double before = 0, after = 0;
        int compared = 0;
        for (Map<String, Object> s : spaces) {
            if (!"solve".equals(s.get("rule"))) continue;
            solved++;
            if (s.get("cost_before") instanceof Double b && s.get("cost_after") instanceof Double a) {
                before += b;
                after += a;
                compared++;
            }
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> opts = (Map<String, Object>) report.get("options");
        return String.format("fused %d models (%s, %s, %s) into %s: %d maps solved%s, %.1f s",
                ((List<?>) report.get("models")).size(), opts.get("preset"), opts.get("align"), opts.get("solver"), out, solved,
                compared > 0 ? String.format(", mean cost %.4f -> %.4f", before / compared, after / compared) : "", seconds);
    }

    private static void put(Map<String, Object> m, String k, Object v) {
        if (v != null) m.put(k, v);
    }

    static Map<String, Object> readYaml(Path f) {
        try {
            if (!Files.isRegularFile(f)) throw new OtfuseException(ExitCode.BAD_CONFIG, f + ": no such file");
            Object v = new ObjectMapper(new YAMLFactory()).readValue(f.toFile(), Object.class);
            if (v == null) return Map.of();
            if (!(v instanceof Map<?, ?> m)) throw new OtfuseException(ExitCode.BAD_CONFIG, f + ": expected a mapping of option keys");
            Map<String, Object> r = new LinkedHashMap<>();
            m.forEach((k, x) -> r.put(String.valueOf(k), x));
            return r;
        } catch (IOException e) {
            throw new OtfuseException(ExitCode.BAD_CONFIG, f + ": not valid YAML: " + String.valueOf(e.getMessage()).split("\n")[0]);
        }
    }
}
