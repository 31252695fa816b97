package io.otfuse.fusion;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.otfuse.io.Checkpoint;
import io.otfuse.io.ByteSizes;
import io.otfuse.io.CheckpointWriter;
import io.otfuse.io.DType;
import io.otfuse.io.TensorEntry;
import io.otfuse.ot.OtSolvers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** Entry point of the fusion engine: open the models, plan, execute, write the fused checkpoint and its report. */
public final class Fusion {
    public static final String REPORT = "fusion-report.json";
    public static final String CONFIG = "fusion-config.yaml";
    /** Downsampled transport maps for the HTML report ({@link MapSidecar}). */
    public static final String MAPS = MapSidecar.FILE;
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private Fusion() {}

    /** Fuses the models in {@code dirs} into {@code out}; returns the report. */
    public static Map<String, Object> fuse(List<Path> dirs, FusionOptions o, Path out, boolean force, ActivationSource source,
                                           Consumer<String> progress) {
        warmUp(o);
        o.validate(dirs.size());
        CheckpointWriter.checkDestination(out, force, dirs);
        List<Checkpoint> models = new ArrayList<>();
        FusedSink spill = null;
        try {
            for (Path d : dirs) models.add(Checkpoint.open(d));
            o.validate(models.size());
            Plan plan = Executor.planFor(models, o);
            Checkpoint a = models.get(o.anchor);
            long h = a.config().hiddenSize;
            NativeGemm.preload(h * h * h); // the smallest product of a layer's moves
            DType dtype = o.dtype != null ? DType.fromUser(o.dtype) : a.weights().mainFloatType();
            long shardBytes = o.maxShardSize == null ? 0 : ByteSizes.parse(o.maxShardSize, "--max-shard-size");
            if (shouldSpill(a, plan)) {
                CheckpointWriter.cleanStale(out);
                if (shardBytes == 0) {
                    // one output file: laid out now, each fused tensor written at its place as it is finished
                    Map<String, long[]> shapes = new java.util.LinkedHashMap<>();
                    for (Plan.Tensor t : plan.tensors()) shapes.put(t.name(), a.info(t.name()).shape());
                    spill = FusedFile.create(FusedSpill.scratchFor(out), shapes, dtype);
                } else {
                    spill = new FusedSpill(FusedSpill.scratchFor(out));
                }
            }
            Executor.Result r = execute(models, o, plan, source, progress, spill, FusedSpill.scratchFor(out));
            long tw = Profile.start();
            // the report and the map sidecar (about 9 MB of JSON for ViT-B) are encoded on a thread of their own while the
            // weights file is forced to disk, which mostly waits on the device
            java.util.concurrent.FutureTask<byte[][]> texts = new java.util.concurrent.FutureTask<>(() -> new byte[][] {json(r.report()), MapSidecar.bytes(r.maps())});
            Thread encoder = new Thread(texts, "otfuse-report");
            encoder.setDaemon(true);
            encoder.start();
            CheckpointWriter w = new CheckpointWriter(out, force).config(r.config());
            if (spill instanceof FusedFile f) w.weightsFile(f.finish());
            else w.tensors(r.entries(dtype));
            byte[][] text = Executor.await(texts, "writing the report");
            w.companionsFrom(a).maxShardBytes(shardBytes)
                    .file(REPORT, text[0]).file(MapSidecar.FILE, text[1]).file(CONFIG, yaml(resolvedConfig(dirs, out, o))).write();
            Profile.add("write", tw);
            return r.report();
        } finally {
            for (Checkpoint c : models) c.close();
            if (spill != null) spill.close();
            NativeGemm.release();
        }
    }

    /**
     * Whether the fused tensors go to a scratch file instead of the heap: {@code -Dotfuse.spill=always|never|auto};
     * auto spills when they would take more than a quarter of the maximum heap.
     */
    static boolean shouldSpill(Checkpoint anchor, Plan plan) {
        String mode = System.getProperty("otfuse.spill", "auto");
        if (mode.equals("always")) return true;
        if (mode.equals("never")) return false;
        long bytes = 0;
        for (Plan.Tensor t : plan.tensors()) bytes += anchor.info(t.name()).numel() * 4;
        return bytes > Runtime.getRuntime().maxMemory() / 4;
    }

    /**
     * Starts compiling the SIMD kernels of the solver and of the cost and map passes on a background thread as the fusion
     * starts: from weights while the models are opened and read, from activations beside the forward passes of the
     * collection, so the step after it starts with compiled kernels. Until each kernel is compiled, its plain-Java twin
     * runs, with the same result.
     */
    static void warmUp(FusionOptions o) {
        if (o.solver != null && o.solver.startsWith("sinkhorn")) OtSolvers.warmUp();
        RowKernels.warmUp("activations".equals(o.align));
    }

    /** Plans and executes on open checkpoints, without writing. */
    public static Executor.Result fuseInMemory(List<Checkpoint> models, FusionOptions o, ActivationSource source, Consumer<String> progress) {
        warmUp(o);
        o.validate(models.size());
        return execute(models, o, Executor.planFor(models, o), source, progress, null, null);
    }

    static Executor.Result execute(List<Checkpoint> models, FusionOptions o, Plan plan, ActivationSource source, Consumer<String> progress,
                                   FusedSink spill, Path scratch) {
        long t0 = Profile.start();
        Activations acts = o.align.equals("activations") || o.residual.startsWith("weighted")
                ? Activations.collect(models, o, plan, source, scratch) : null;
        Profile.add("activations.collect", t0);
        try {
            t0 = Profile.start();
            Executor.Result r = new Executor(models, o, plan, acts, progress).spillTo(spill).run();
            Profile.add("execute", t0);
            return r;
        } finally {
            if (acts != null) acts.close();
            io.otfuse.ot.ArrayPool.clear(); // the pooled scratch arrays are only worth keeping within one fusion
        }
    }

    /** The YAML that reproduces this run with {@code otfuse fuse --config}. */
    static Map<String, Object> resolvedConfig(List<Path> dirs, Path out, FusionOptions o) {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("models", dirs.stream().map(d -> d.toAbsolutePath().toString()).toList());
        m.put("out", out.toAbsolutePath().toString());
        m.putAll(o.toMap());
        return m;
    }

    static byte[] json(Object o) {
        try {
            return JSON.writeValueAsBytes(o);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] yaml(Object o) {
        try {
            return YAML.writeValueAsString(o).getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
