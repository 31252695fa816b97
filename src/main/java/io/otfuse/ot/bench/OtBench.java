package io.otfuse.ot.bench;

import io.otfuse.ot.CostMatrix;
import io.otfuse.ot.OtOptions;
import io.otfuse.ot.OtProblem;
import io.otfuse.ot.OtResult;
import io.otfuse.ot.OtSolvers;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;

/**
 * Java side of {@code bench/ot-vs-pot}: loads cost matrices from {@code .npy} files (float64, C order)
 * and solves them on request, printing
 * {@code RESULT n solver seconds objective iterations converged marginalError stopError warning}
 * (seconds = the solver's own wall time, which includes building K and the plan).
 */
public final class OtBench {
    private OtBench() {
    }

    /** Minimal .npy reader for little-endian float64 arrays in C order (format versions 1-3). */
    public static double[] readNpy(Path file, int[] shapeOut) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer pre = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(pre, 0);
            pre.flip();
            byte[] magic = new byte[6];
            pre.get(magic);
            if (magic[0] != (byte) 0x93 || !new String(magic, 1, 5, StandardCharsets.US_ASCII).equals("NUMPY")) {
                throw new IOException(file + ": not an .npy file");
            }
            int major = pre.get();
            pre.get();
            long headerLen;
            int pos;
            if (major == 1) {
                headerLen = pre.getShort() & 0xffff;
                pos = 10;
            } else {
                headerLen = pre.getInt() & 0xffffffffL;
                pos = 12;
            }
            ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
            ch.read(hb, pos);
            String header = new String(hb.array(), StandardCharsets.ISO_8859_1);
            if (!header.contains("'descr': '<f8'")) {
                throw new IOException(file + ": only little-endian float64 is supported, header " + header.trim());
            }
            if (header.contains("'fortran_order': True")) {
                throw new IOException(file + ": Fortran order is not supported");
            }
            String shape = header.substring(header.indexOf("'shape': (") + 10);
            shape = shape.substring(0, shape.indexOf(')'));
            String[] dims = shape.split(",");
            long count = 1;
            int k = 0;
            for (String d : dims) {
                if (!d.isBlank()) {
                    int v = Integer.parseInt(d.trim());
                    if (k < shapeOut.length) {
                        shapeOut[k] = v;
                    }
                    k++;
                    count *= v;
                }
            }
            double[] out = new double[Math.toIntExact(count)];
            ByteBuffer data = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            long off = pos + headerLen;
            int t = 0;
            while (t < out.length) {
                data.clear();
                int want = (int) Math.min(data.capacity(), (long) (out.length - t) * 8);
                data.limit(want);
                int r = ch.read(data, off);
                if (r <= 0) {
                    throw new IOException(file + ": truncated");
                }
                off += r;
                data.flip();
                while (data.remaining() >= 8) {
                    out[t++] = data.getDouble();
                }
                off -= data.remaining();
            }
            return out;
        }
    }

    static void print(int n, String solver, OtResult r) {
        String w = r.warning() == null ? "-" : r.warning().replace(' ', '_');
        System.out.printf(Locale.ROOT, "RESULT %d %s %.6f %.17g %d %s %.3e %.3e %s%n", n, solver, r.seconds(), r.objective(),
                r.iterations(), r.converged(), r.marginalError(), r.stopError(), w);
        System.out.flush();
    }

    /**
     * Line protocol on stdin (driven by {@code bench/ot_vs_pot.py}, which interleaves the Java and the
     * Python solves so both see the same machine load):
     * {@code load <n> <file.npy>}, {@code warmup <n> [rounds]} (every solver {@code rounds} times, default 20, untimed),
     * {@code solve <n> exact}, {@code solve <n> sinkhorn <reg>}, {@code solve <n> log <reg> <stopThr> <maxIter>},
     * {@code quit}. Every command answers one line ({@code RESULT ...} or {@code OK}).
     */
    public static void main(String[] args) throws IOException {
        java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(System.in, StandardCharsets.UTF_8));
        java.util.Map<Integer, OtProblem> raw = new java.util.HashMap<>();
        java.util.Map<Integer, OtProblem> normed = new java.util.HashMap<>();
        System.out.println("INFO java " + System.getProperty("java.version") + " threads=" + Runtime.getRuntime().availableProcessors()
                + " kernels=" + OtSolvers.kernels().replace(' ', '_'));
        System.out.flush();
        String line;
        while ((line = in.readLine()) != null) {
            String[] t = line.trim().split("\\s+");
            switch (t[0]) {
                case "load": {
                    int n = Integer.parseInt(t[1]);
                    int[] sh = new int[2];
                    double[] c = readNpy(Path.of(t[2]), sh);
                    OtProblem p = OtProblem.uniform(CostMatrix.of(c, sh[0], sh[1]));
                    raw.put(n, p);
                    normed.put(n, OtProblem.uniform(p.cost().maxNormalised()));
                    System.out.println("OK");
                    break;
                }
                case "drop": {
                    int n = Integer.parseInt(t[1]);
                    raw.remove(n);
                    normed.remove(n);
                    System.out.println("OK");
                    break;
                }
                case "warmup": {
                    int n = Integer.parseInt(t[1]);
                    int rounds = t.length > 2 ? Integer.parseInt(t[2]) : 20;
                    for (int r = 0; r < rounds; r++) {
                        OtSolvers.exact(raw.get(n));
                        OtSolvers.sinkhorn(normed.get(n), 0.01);
                        OtSolvers.sinkhorn(normed.get(n), 0.08);
                        OtSolvers.sinkhornEpsilonScaling(normed.get(n), OtOptions.defaults().withReg(0.01).withMaxIter(100));
                    }
                    System.out.println("OK");
                    break;
                }
                case "solve": {
                    int n = Integer.parseInt(t[1]);
                    OtResult r;
                    String name;
                    if (t[2].equals("exact")) {
                        r = OtSolvers.exact(raw.get(n));
                        name = "exact:" + r.solver();
                    } else if (t[2].equals("sinkhorn")) {
                        double reg = Double.parseDouble(t[3]);
                        r = OtSolvers.sinkhorn(normed.get(n), reg);
                        name = "sinkhorn:" + reg;
                    } else if (t[2].equals("log")) {
                        double reg = Double.parseDouble(t[3]);
                        r = OtSolvers.sinkhornEpsilonScaling(normed.get(n), OtOptions.defaults().withReg(reg)
                                .withStopThr(Double.parseDouble(t[4])).withMaxIter(Long.parseLong(t[5])));
                        name = "log:" + reg;
                    } else {
                        throw new IllegalArgumentException("unknown solver " + t[2]);
                    }
                    print(n, name, r);
                    break;
                }
                case "quit":
                    return;
                default:
                    throw new IllegalArgumentException("unknown command: " + line);
            }
            System.out.flush();
        }
    }
}
