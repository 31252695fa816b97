package io.otfuse.fusion.bench;

import io.otfuse.fusion.ActivationSource;
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
        List<String> presets = List.of((args.length > 3 ? args[3] : "official,default").split(","));
        String data = System.getProperty("otfuse.bench.data"); // null: the source's default (fashion-mnist@train for ViT)
        Files.createDirectories(work);
        System.out.printf("cores %d, GEMM %s, load average %s%n", Runtime.getRuntime().availableProcessors(), io.otfuse.fusion.NativeGemm.describe(), load());
        System.out.printf("%-40s %9s %9s %9s %7s %7s %9s %9s%n", "case [preset]", "collect s", "fusion s", "average s", "ratio", "iters", "RSS MB", "model MB");
        if (!which.equals("bert")) {
            VitConfig c = VitConfig.create(768, layers, 12, 3072, 28, 14, 1, List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"));
            List<Path> ms = List.of(model(work.resolve("vit-a"), c, 1), model(work.resolve("vit-b"), c, 2));
            double avg = average(ms, work.resolve("vit-avg"));
            for (String p : presets) {
                row("vit-b weights emd", p, ms, opts(p, "weights", "emd", 0.06), work, avg, null);
                row("vit-b weights sinkhorn 0.06", p, ms, opts(p, "weights", "sinkhorn", 0.06), work, avg, null);
            }
            for (String p : presets) {
                FusionOptions o = opts(p, "activations", "sinkhorn", 0.08);
                o.data = data;
                o.samples = 200;
                row("vit-b activations sinkhorn 0.08", p, ms, o, work, avg, new io.otfuse.fusion.ModelActivationSource());
            }
        }
        if (!which.equals("vit") && !"activations".equals(System.getProperty("otfuse.bench.only"))) { // BERT rows are from weights
            BertConfig c = BertConfig.create(768, layers, 12, 3072, 30522, 512);
            List<Path> ms = List.of(model(work.resolve("bert-a"), c, 3), model(work.resolve("bert-b"), c, 4));
            double avg = average(ms, work.resolve("bert-avg"));
            for (String p : presets) {
                row("bert-base weights emd", p, ms, opts(p, "weights", "emd", 0.06), work, avg, null);
                row("bert-base weights sinkhorn 0.06", p, ms, opts(p, "weights", "sinkhorn", 0.06), work, avg, null);
            }
        }
    }

    /** The preset's options with the row's alignment and solver (everything else as the preset says). */
    static FusionOptions opts(String preset, String align, String solver, double reg) {
        FusionOptions o = FusionOptions.preset(preset);
        o.align = align;
        o.solver = solver;
        o.reg = reg;
        return o;
    }

    static double average(List<Path> ms, Path out) {
        double best = Double.MAX_VALUE;
        for (int i = 0; i < 2; i++) best = Math.min(best, time(() -> Baselines.vanilla(ms, null, out, true))); // second: warm page cache
        return best;
    }

    static void row(String name, String preset, List<Path> ms, FusionOptions o, Path work, double avg, ActivationSource source) {
        String label = name + " [" + preset + "]";
        String only = System.getProperty("otfuse.bench.only"); // e.g. "emd": run only rows whose label contains it
        if (only != null && !label.contains(only)) return;
        if (o.align.equals("activations") && source == null) {
            System.out.printf("%-40s skipped: no activation source%n", label);
            return;
        }
        resetPeakRss();
        double[] iters = new double[1];
        double[] collect = new double[1];
        ActivationSource timed = source == null ? null : new ActivationSource() {
            @Override
            public void collect(Path dir, List<String> modules, Samples samples, java.util.function.Consumer<Outputs> sink) {
                long t0 = System.nanoTime();
                try {
                    source.collect(dir, modules, samples, sink);
                } finally {
                    collect[0] += (System.nanoTime() - t0) / 1e9;
                }
            }

            @Override
            public String defaultData(io.otfuse.io.ModelConfig.Family family) {
                return source.defaultData(family);
            }
        };
        Path dest = work.resolve("fused-" + label.replaceAll("[^a-z0-9.]+", "-"));
        for (int w = Integer.getInteger("otfuse.bench.warmups", 0); w > 0; w--) { // diagnosis: fusion in a warm JVM
            long tw = System.nanoTime();
            Fusion.fuse(ms, o, dest, true, timed, null);
            System.out.printf("  warm-up run %.2f s%n", (System.nanoTime() - tw) / 1e9);
            collect[0] = 0; // the timed run's collection only
        }
        double t;
        long cpu0 = processCpuNanos();
        long[] peaks = new long[3]; // RssAnon, RssFile, heap used (kB)
        Thread sampler = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                sampleRss(peaks);
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        sampler.setDaemon(true);
        if (Boolean.getBoolean("otfuse.profile")) sampler.start(); // only for the profile line: the row's peak RSS is VmHWM
        // a fresh destination, as for a first `otfuse fuse`: replacing the previous run's checkpoint (deleting its
        // weights file, about 0.1 s for ViT-B) is not part of the fusion
        io.otfuse.io.AtomicFiles.deleteTree(dest);
        try {
            t = time(() -> {
                Map<String, Object> rep = Fusion.fuse(ms, o, dest, true, timed, null);
                @SuppressWarnings("unchecked")
                List<Map<String, Object>> sp = (List<Map<String, Object>>) rep.get("spaces");
                for (Map<String, Object> s : sp) if (s.get("iterations") instanceof Number n) iters[0] = Math.max(iters[0], n.doubleValue());
            });
        } catch (io.otfuse.io.OtfuseException e) {
            System.out.printf("%-40s skipped: %s%n", label, e.getMessage());
            return;
        }
        sampler.interrupt();
        double fusion = t - collect[0];
        long modelMb = 0;
        try {
            for (Path f : Files.list(ms.get(0)).filter(f -> f.toString().endsWith(".safetensors")).toList()) modelMb += Files.size(f) >> 20;
        } catch (java.io.IOException e) {
            modelMb = -1;
        }
        System.out.printf("%-40s %9s %9.2f %9.2f %7.1f %7d %9d %9d%n", label, source == null ? "-" : String.format("%.2f", collect[0]),
                fusion, avg, fusion / avg, (long) iters[0], peakRssMb(), modelMb);
        Map<String, Double> prof = io.otfuse.fusion.Profile.drain();
        if (!prof.isEmpty()) {
            StringBuilder sb = new StringBuilder(String.format("    process cpu %.1f s, load %s; peak RSS anon %d MB, file %d MB, heap used %d MB; phases s:",
                    (processCpuNanos() - cpu0) / 1e9, load(), peaks[0] >> 10, peaks[1] >> 10, peaks[2] >> 10));
            prof.forEach((k, v) -> sb.append(String.format(" %s %.2f", k, v)));
            System.out.println(sb);
        }
    }

    /** Largest RssAnon and RssFile (from /proc/self/status) and heap in use seen so far, in kB. */
    static void sampleRss(long[] peaks) {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (l.startsWith("RssAnon:")) peaks[0] = Math.max(peaks[0], Long.parseLong(l.replaceAll("[^0-9]", "")));
                if (l.startsWith("RssFile:")) peaks[1] = Math.max(peaks[1], Long.parseLong(l.replaceAll("[^0-9]", "")));
            }
        } catch (Exception e) {
            // not Linux
        }
        Runtime r = Runtime.getRuntime();
        peaks[2] = Math.max(peaks[2], (r.totalMemory() - r.freeMemory()) >> 10);
    }

    static long processCpuNanos() {
        java.lang.management.OperatingSystemMXBean b = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return b instanceof com.sun.management.OperatingSystemMXBean s ? s.getProcessCpuTime() : 0;
    }

    static String load() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (Exception e) {
            return "?";
        }
    }

    /** Resets the kernel's peak-RSS counter (Linux: 5 > /proc/self/clear_refs), so each row reports its own peak. */
    static void resetPeakRss() {
        System.gc();
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
        } catch (Exception e) {
            // not Linux: the peak is then cumulative
        }
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
        if (Files.exists(dir.resolve("config.json"))) {
            try (io.otfuse.io.Checkpoint ck = io.otfuse.io.Checkpoint.open(dir)) {
                if (ck.config().numHiddenLayers == c.numHiddenLayers) return dir; // made by an earlier run with these layers
            } catch (RuntimeException e) {
                // unreadable: made again below
            }
            try (java.util.stream.Stream<Path> old = Files.walk(dir)) {
                for (Path f : old.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(f);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
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
