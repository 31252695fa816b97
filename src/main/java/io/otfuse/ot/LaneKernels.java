package io.otfuse.ot;

/**
 * Plain-Java twins of the float-row kernels of {@link VectorKernels} that compute the same bits: the same lane-wise
 * partial sums for a vector of {@code lanes} doubles, added in lane order, the same fused multiply-adds, the same
 * tails. {@link Kernels} runs them while {@link KernelWarmup} has not yet seen the vector kernel compiled: interpreted
 * or compiled by C1, a Vector API kernel runs its Java fallback, 60 to 1000 times slower than these loops, and a
 * fresh JVM spent about half a second of its first Sinkhorn solve there. Since the results are identical, which of
 * the two ran, and when the switch came, never changes a result.
 *
 * <p>{@code lanes} is {@link VectorKernels#lanes()}, a power of two; {@code t} is scratch of at least {@code lanes}
 * doubles (zeroed here).
 */
final class LaneKernels {
    private LaneKernels() {
    }

    /** Same bits as {@link VectorKernels#expRow}: every lane computes {@link VectorKernels#exp(double)} of the product. */
    static void expRow(double[] c, int base, double inr, int m, double[] row) {
        for (int j = 0; j < m; j++) {
            row[j] = VectorKernels.exp(c[base + j] * inr);
        }
    }

    /** Same bits as {@link VectorKernels#dot4}. */
    static void dot4(float[][] k, int i0, double[] v, int m, double[] out, int o, double[] t, int lanes) {
        int ub = m & -lanes;
        for (int r = 0; r < 4; r++) {
            float[] kr = k[i0 + r];
            java.util.Arrays.fill(t, 0, lanes, 0.0);
            for (int j = 0; j < ub; j += lanes) {
                for (int l = 0; l < lanes; l++) {
                    t[l] = Math.fma(kr[j + l], v[j + l], t[l]);
                }
            }
            double s = t[0];
            for (int l = 1; l < lanes; l++) {
                s += t[l];
            }
            for (int j = ub; j < m; j++) {
                s = Math.fma(kr[j], v[j], s);
            }
            out[o + r] = s;
        }
    }

    /** Same bits as {@link VectorKernels#axpy4}: per column, one fused multiply-add per row in row order. */
    static void axpy4(float[][] k, int i0, double[] u, int m, double[] acc) {
        float[] k0 = k[i0];
        float[] k1 = k[i0 + 1];
        float[] k2 = k[i0 + 2];
        float[] k3 = k[i0 + 3];
        double u0 = u[i0];
        double u1 = u[i0 + 1];
        double u2 = u[i0 + 2];
        double u3 = u[i0 + 3];
        for (int j = 0; j < m; j++) {
            double s = Math.fma(k0[j], u0, acc[j]);
            s = Math.fma(k1[j], u1, s);
            s = Math.fma(k2[j], u2, s);
            acc[j] = Math.fma(k3[j], u3, s);
        }
    }

    /** Same bits as {@link VectorKernels#planRowFloat}; {@code t} needs {@code 2 * lanes} doubles here. */
    static void planRowFloat(double ui, float[] ki, double[] v, double[] c, int base, float[] plan, int m, double[] colAcc, double[] out,
                             double[] t, int lanes) {
        int ub = m & -lanes;
        java.util.Arrays.fill(t, 0, 2 * lanes, 0.0);
        for (int j = 0; j < ub; j += lanes) {
            for (int l = 0; l < lanes; l++) {
                double p = ui * ki[j + l] * v[j + l];
                plan[base + j + l] = (float) p;
                colAcc[j + l] = p + colAcc[j + l];
                t[l] = t[l] + p;
                t[lanes + l] = Math.fma(p, c[base + j + l], t[lanes + l]);
            }
        }
        double s = t[0];
        double o = t[lanes];
        for (int l = 1; l < lanes; l++) {
            s += t[l];
            o += t[lanes + l];
        }
        planRowFloatTail(ui, ki, v, c, base, plan, ub, m, colAcc, s, o, out);
    }

    /**
     * The scalar tail of {@code planRowFloat} from column {@code from}, continuing the row sum {@code s} and the objective
     * {@code o} (shared by the SIMD kernel and its twin); writes both to {@code out}.
     */
    static void planRowFloatTail(double ui, float[] ki, double[] v, double[] c, int base, float[] plan, int from, int m, double[] colAcc,
                                 double s, double o, double[] out) {
        for (int j = from; j < m; j++) {
            double p = ui * ki[j] * v[j];
            plan[base + j] = (float) p;
            colAcc[j] += p;
            s += p;
            o = Math.fma(p, c[base + j], o);
        }
        out[0] = s;
        out[1] = o;
    }
}
