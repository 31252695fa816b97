package io.otfuse.robust;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Same inputs, options and seed give byte-identical output files, across runs and across thread counts
 * (child JVMs with -XX:ActiveProcessorCount=1, 2 and 4: the OT solvers use a fixed partition, the fusion GEMM
 * and axis moves compute every output element in one fixed order). Weights alignment with EMD and Sinkhorn
 * (Sinkhorn gives dense maps, so the dense GEMM path is covered). Activation alignment runs the PyTorch
 * engine's forward on Fashion-MNIST samples with 1 and 2 engine threads and must give the same bytes too.
 */
class DeterminismTest {
    @TempDir
    Path tmp;

    static final List<List<String>> OPTIONS = List.of(
            List.of("--solver", "emd"),
            List.of("--solver", "sinkhorn", "--reg", "0.05", "--head-aware", "false"));

    @Test
    void byteIdenticalAcrossRunsAndThreadCounts() throws Exception {
        // different widths: hidden 192 (3 heads) and 128 (2 heads) into the anchor's 128
        BigModels.write(tmp.resolve("a"), BigModels.config(2, 128, 384), 1);
        BigModels.write(tmp.resolve("b"), BigModels.config(2, 192, 512), 2);
        BigModels.write(tmp.resolve("c"), BigModels.config(2, 128, 384), 3);
        List<String> report = new ArrayList<>();
        int n = 0;
        for (List<String> opts : OPTIONS) {
            String reference = null;
            for (int threads : new int[] {1, 2, 4, 2}) {
                Path out = tmp.resolve("out-" + n++);
                List<String> args = new ArrayList<>(List.of("fuse", tmp.resolve("a").toString(), tmp.resolve("b").toString(), tmp.resolve("c").toString(),
                        "--out", out.toString(), "--seed", "5"));
                args.addAll(opts);
                ChildJvm.Run r = ChildJvm.run(ChildJvm.command(List.of(), List.of("-Xmx512m", "-XX:ActiveProcessorCount=" + threads), "io.otfuse.cli.Main", args),
                        tmp.resolve("log"), 300);
                assertEquals(0, r.code(), r.output());
                String sums = Checksums.sha256(out.resolve("model.safetensors")) + " " + Checksums.sha256(out.resolve("config.json"));
                if (reference == null) reference = sums;
                assertEquals(reference, sums, opts + " with " + threads + " thread(s) must give the same bytes");
            }
            report.add(opts + ": " + reference.substring(0, 16));
        }
        System.out.println("determinism: " + report);
    }

    /** A random ViT on 28x28 grey images, so activations can run on Fashion-MNIST. */
    static void writeVit(Path dir, long seed) {
        io.otfuse.io.VitConfig c = io.otfuse.io.VitConfig.create(48, 2, 3, 80, 28, 7, 1, java.util.List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"));
        java.util.Random r = new java.util.Random(seed);
        List<io.otfuse.io.TensorEntry> ts = new ArrayList<>();
        for (var e : io.otfuse.io.HfLayout.expected(c).entrySet()) {
            float[] x = new float[(int) io.otfuse.io.TensorInfo.numel(e.getValue())];
            boolean ln = e.getKey().contains("layernorm") && e.getKey().endsWith("weight");
            for (int i = 0; i < x.length; i++) x[i] = (float) ((ln ? 1 : 0) + r.nextGaussian() * (ln ? 0.1 : 0.2));
            ts.add(io.otfuse.io.TensorEntry.ofFloats(e.getKey(), e.getValue(), x, io.otfuse.io.DType.F32));
        }
        new io.otfuse.io.CheckpointWriter(dir, false).config(c).tensors(ts).write();
    }

    @Test
    void activationFusionIsByteIdenticalAcrossRunsAndEngineThreadCounts() throws Exception {
        writeVit(tmp.resolve("va"), 1);
        writeVit(tmp.resolve("vb"), 2);
        List<String> report = new ArrayList<>();
        int n = 0;
        for (List<String> opts : List.of(List.of("--solver", "emd"), List.of("--solver", "sinkhorn", "--reg", "0.08"))) {
            String reference = null;
            for (int threads : new int[] {1, 2, 1}) {
                Path out = tmp.resolve("act-" + n++);
                List<String> args = new ArrayList<>(List.of("fuse", tmp.resolve("va").toString(), tmp.resolve("vb").toString(),
                        "--out", out.toString(), "--align", "activations", "--samples", "40", "--seed", "3"));
                args.addAll(opts);
                ChildJvm.Run r = ChildJvm.run(ChildJvm.command(List.of(), List.of("-Xmx1g", "-Dai.djl.offline=true",
                        "-Dai.djl.pytorch.num_threads=" + threads, "-XX:ActiveProcessorCount=" + threads), "io.otfuse.cli.Main", args), tmp.resolve("log"), 300);
                assertEquals(0, r.code(), r.output());
                String sums = Checksums.sha256(out.resolve("model.safetensors"));
                if (reference == null) reference = sums;
                assertEquals(reference, sums, "activations " + opts + " with " + threads + " engine thread(s) must give the same bytes");
            }
            report.add(opts + ": " + reference.substring(0, 16));
        }
        System.out.println("determinism (activations): " + report);
    }
}
