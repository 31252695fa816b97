package io.otfuse.fusion.bench;

import io.otfuse.fusion.Baselines;
import io.otfuse.fusion.Fusion;
import io.otfuse.fusion.FusionOptions;
import io.otfuse.io.BertConfig;
import io.otfuse.io.CheckpointWriter;
import io.otfuse.io.DType;
import io.otfuse.io.HfLayout;
import io.otfuse.io.ModelConfig;
import io.otfuse.io.TensorEntry;
import io.otfuse.io.VitConfig;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * bench/fuse-scale: fusion time at ViT-B and BERT-base size on random models, each row beside the time of a
 * plain average of the same files (the I/O floor). Usage: {@code FuseScale WORKDIR [vit|bert|all] [layers]}.
 */
public final class FuseScale {
    private FuseScale() {}

    public static void main(String[] args) throws Exception {
        Path work = Path.of(args.length > 0 ? args[0] : "bench/out/fuse-scale");
        String which = args.length > 1 ? args[1] : "all";
        int layers = args.length > 2 ? Integer.parseInt(args[2]) : 12;
        Files.createDirectories(work);
        System.out.printf("%-34s %10s %10s %8s %12s%n", "case", "fusion s", "average s", "ratio", "peak RSS MB");
        if (!which.equals("bert")) {
            VitConfig c = VitConfig.create(768, layers, 12, 3072, 28, 14, 1, List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"));
            List<Path> ms = List.of(model(work.resolve("vit-a"), c, 1), model(work.resolve("vit-b"), c, 2));
            double avg = time(() -> Baselines.vanilla(ms, null, work.resolve("vit-avg"), true));
            row("vit-b weights emd", ms, opts("emd", 0.06), work, avg);
            row("vit-b weights sinkhorn 0.06", ms, opts("sinkhorn", 0.06), work, avg);
        }
        if (!which.equals("vit")) {
            BertConfig c = BertConfig.create(768, layers, 12, 3072, 30522, 512);
            List<Path> ms = List.of(model(work.resolve("bert-a"), c, 3), model(work.resolve("bert-b"), c, 4));
            double avg = time(() -> Baselines.vanilla(ms, null, work.resolve("bert-avg"), true));
            row("bert-base weights emd", ms, opts("emd", 0.06), work, avg);
            row("bert-base weights sinkhorn 0.06", ms, opts("sinkhorn", 0.06), work, avg);
        }
    }

    static FusionOptions opts(String solver, double reg) {
        FusionOptions o = FusionOptions.preset("default");
        o.solver = solver;
        o.reg = reg;
        return o;
    }

    static void row(String name, List<Path> ms, FusionOptions o, Path work, double avg) {
        double[] iters = new double[1];
        double t;
        try {
            t = time(() -> {
            Map<String, Object> rep = Fusion.fuse(ms, o, work.resolve("fused"), true, null, null);
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> sp = (List<Map<String, Object>>) rep.get("spaces");
            for (Map<String, Object> s : sp) if (s.get("iterations") instanceof Number n) iters[0] = Math.max(iters[0], n.doubleValue());
            });
        } catch (io.otfuse.io.OtfuseException e) {
            System.out.printf("%-34s skipped: %s%n", name, e.getMessage());
            return;
        }
        System.out.printf("%-34s %10.2f %10.2f %8.2f %12d   (max Sinkhorn iterations %d)%n", name, t, avg, t / avg, peakRssMb(), (long) iters[0]);
    }

    static double time(Runnable r) {
        long t0 = System.nanoTime();
        r.run();
        return (System.nanoTime() - t0) / 1e9;
    }

    static long peakRssMb() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (l.startsWith("VmHWM:")) return Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024;
            }
        } catch (Exception e) {
            // not Linux
        }
        return -1;
    }

    /** Random model: weights N(0, 0.2^2), LayerNorm weights 1 + N(0, 0.1^2); reused when already written. */
    static Path model(Path dir, ModelConfig c, long seed) {
        if (Files.exists(dir.resolve("config.json"))) return dir;
        SplittableRandom rnd = new SplittableRandom(seed);
        List<TensorEntry> ts = new ArrayList<>();
        for (Map.Entry<String, long[]> e : HfLayout.expected(c).entrySet()) {
            long n = 1;
            for (long d : e.getValue()) n *= d;
            String name = e.getKey();
            boolean ln = name.endsWith("weight") && (name.contains("LayerNorm") || name.contains("layernorm"));
            long count = n;
            long s = rnd.nextLong();
            ts.add(new TensorEntry(name, DType.F32, e.getValue(), () -> {
                SplittableRandom r = new SplittableRandom(s);
                ByteBuffer b = ByteBuffer.allocate((int) (count * 4)).order(ByteOrder.LITTLE_ENDIAN);
                for (long i = 0; i < count; i++) b.putFloat((float) (ln ? 1 + 0.1 * gauss(r) : 0.2 * gauss(r)));
                return b.flip();
            }));
        }
        new CheckpointWriter(dir, true).config(c).tensors(ts).write();
        return dir;
    }

    static double gauss(SplittableRandom r) {
        double u = r.nextDouble(), v = r.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v);
    }
}
