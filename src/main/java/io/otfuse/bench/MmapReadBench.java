package io.otfuse.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.otfuse.io.DType;
import io.otfuse.io.TensorEntry;
import io.otfuse.io.WeightStore;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a large checkpoint (streaming) and reads every tensor back through memory maps into DJL,
 * reporting time and peak resident memory. Run with a small heap to show nothing is copied into it.
 * Usage: MmapReadBench write DIR GIB | read DIR
 */
public final class MmapReadBench {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[1]);
        if (args[0].equals("write")) {
            double gib = Double.parseDouble(args[2]);
            long tensorBytes = 64L << 20;
            int count = (int) Math.ceil(gib * (1L << 30) / tensorBytes);
            List<TensorEntry> ts = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                final int seed = i;
                DType d = i % 3 == 0 ? DType.BF16 : i % 3 == 1 ? DType.F16 : DType.F32;
                long numel = tensorBytes / d.size;
                ts.add(new TensorEntry(String.format("layer.%03d.weight", i), d, new long[] {numel / 4096, 4096}, () -> {
                    ByteBuffer b = ByteBuffer.allocateDirect((int) tensorBytes).order(ByteOrder.LITTLE_ENDIAN);
                    java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
                    if (d == DType.F32) {
                        while (b.hasRemaining()) b.putFloat((float) r.nextGaussian());
                    } else {
                        // finite half values: exponent below the all-ones pattern
                        while (b.hasRemaining()) b.putShort((short) (r.nextInt(0x7800) | (r.nextBoolean() ? 0x8000 : 0)));
                    }
                    b.flip();
                    return b;
                }));
            }
            Files.createDirectories(dir);
            long t0 = System.nanoTime();
            WeightStore.write(dir, ts, 1L << 30);
            System.out.printf("wrote %d tensors (%.2f GiB) in %.1f s%n", count, count * tensorBytes / (double) (1L << 30), (System.nanoTime() - t0) / 1e9);
            return;
        }
        long t0 = System.nanoTime();
        double checksum = 0;
        long bytes = 0;
        int n = 0;
        try (WeightStore s = WeightStore.open(dir); NDManager root = NDManager.newBaseManager()) {
            for (String name : s.names()) {
                try (NDManager m = root.newSubManager()) {
                    NDArray a = s.toFloat32(m, name);
                    checksum += a.sum().getFloat();
                    bytes += s.info(name).byteSize();
                    n++;
                }
            }
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        long hwm = peakRssKiB();
        System.out.printf("read %d tensors, %.2f GiB in %.1f s (%.0f MiB/s), checksum %.3e%n", n, bytes / (double) (1L << 30), secs,
                bytes / (double) (1L << 20) / secs, checksum);
        System.out.printf("max heap %d MiB, peak RSS %d MiB%n", Runtime.getRuntime().maxMemory() >> 20, hwm >> 10);
    }

    static long peakRssKiB() throws Exception {
        for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (l.startsWith("VmHWM:")) return Long.parseLong(l.replaceAll("[^0-9]", ""));
        }
        return -1;
    }
}
