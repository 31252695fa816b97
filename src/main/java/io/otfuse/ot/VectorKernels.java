package io.otfuse.ot;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * SIMD versions of the hot loops of {@link Kernels}, on the incubating JDK Vector API
 * ({@code jdk.incubator.vector}). This is the only class of the package that refers to that module; it is
 * loaded only when {@link Kernels#VECTOR_AVAILABLE} found the module in the boot layer, so the solvers
 * keep working (on the scalar kernels) when the JVM was started without {@code --add-modules
 * jdk.incubator.vector}.
 *
 * <p>Only exactly rounded lane operations are used (add, mul, fma, min/max, integer bit operations), so a
 * method computes the same bits whether it runs interpreted (the API's Java fallback) or compiled to AVX
 * code. That is why {@code exp} is {@link #exp(double)} below and not {@code lanewise(EXP)}: HotSpot 17
 * compiles that to Intel's SVML routine but interprets it as {@code Math.exp} per lane, and the two differ
 * in the last bit, so results would depend on JIT state (found by the thread-count determinism test).
 * Summation orders differ from the scalar kernels (lane-wise partial sums, fused multiply-add), but every
 * order is fixed by the data layout alone, so results are still identical for any thread count. Lane sums are added in lane order (not with
 * {@code reduceLanes}, whose floating-point order is unspecified).
 */
final class VectorKernels {
    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Floats with as many lanes as {@link #S}: float kernel rows are widened to double lane by lane. */
    private static final VectorSpecies<Float> F = VectorSpecies.of(float.class, jdk.incubator.vector.VectorShape.forBitSize(S.vectorBitSize() / 2));

    private static final double LOG2E = 0x1.71547652b82fep0;
    private static final double LN2_HI = 0x1.62e42fefa39efp-1;
    private static final double LN2_LO = 0x1.abc9e3b39803fp-56;
    /** 1.5 * 2^52: adding it rounds to an integer held in the low mantissa bits. */
    private static final double SHIFT = 0x1.8p52;
    private static final long SHIFT_BITS = Double.doubleToRawLongBits(SHIFT);
    /** Taylor coefficients 1/k!, k = 13 .. 2 (|r| <= ln2/2: truncation error below 1e-17). */
    private static final double[] POLY = {
        1.0 / 6227020800.0, 1.0 / 479001600.0, 1.0 / 39916800.0, 1.0 / 3628800.0, 1.0 / 362880.0, 1.0 / 40320.0,
        1.0 / 5040.0, 1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5};

    private VectorKernels() {
    }

    /**
     * {@code e^x} within 2 ulp of {@code Math.exp} (0 below -745.2, +inf above 709.8, NaN for NaN), with
     * exactly the operations of {@link #exp(DoubleVector)} on each lane: {@code x = k ln2 + r},
     * {@code |r| <= ln2/2}, degree-13 Taylor polynomial in Horner form with FMA, times {@code 2^k} applied as
     * two factors so that subnormal results are rounded once.
     */
    static double exp(double x) {
        double xc = Math.max(Math.min(x, 710.0), -746.0);
        double z = Math.fma(xc, LOG2E, SHIFT);
        double kd = z - SHIFT;
        double r = Math.fma(-kd, LN2_HI, xc);
        r = Math.fma(-kd, LN2_LO, r);
        double p = POLY[0];
        for (int q = 1; q < POLY.length; q++) {
            p = Math.fma(p, r, POLY[q]);
        }
        p = Math.fma(p, r, 1.0);
        p = Math.fma(p, r, 1.0);
        long k = Double.doubleToRawLongBits(z) - SHIFT_BITS;
        long k1 = k >> 1;
        long k2 = k - k1;
        return p * Double.longBitsToDouble((k1 + 1023) << 52) * Double.longBitsToDouble((k2 + 1023) << 52);
    }

    /** {@link #exp(double)} on every lane. */
    static DoubleVector exp(DoubleVector x) {
        DoubleVector xc = x.min(710.0).max(-746.0);
        DoubleVector z = xc.fma(LOG2E, SHIFT);
        DoubleVector kd = z.sub(SHIFT);
        DoubleVector nk = kd.neg();
        DoubleVector r = nk.fma(DoubleVector.broadcast(S, LN2_HI), xc);
        r = nk.fma(DoubleVector.broadcast(S, LN2_LO), r);
        DoubleVector p = DoubleVector.broadcast(S, POLY[0]);
        for (int q = 1; q < POLY.length; q++) {
            p = p.fma(r, DoubleVector.broadcast(S, POLY[q]));
        }
        DoubleVector one = DoubleVector.broadcast(S, 1.0);
        p = p.fma(r, one);
        p = p.fma(r, one);
        LongVector k = z.reinterpretAsLongs().sub(SHIFT_BITS);
        LongVector k1 = k.lanewise(VectorOperators.ASHR, 1);
        LongVector k2 = k.sub(k1);
        DoubleVector s1 = k1.add(1023).lanewise(VectorOperators.LSHL, 52).reinterpretAsDoubles();
        DoubleVector s2 = k2.add(1023).lanewise(VectorOperators.LSHL, 52).reinterpretAsDoubles();
        return p.mul(s1).mul(s2);
    }

    /** Scratch for the lane sums: {@code t} arguments need at least this many elements. */
    static int lanes() {
        return L;
    }

    /**
     * Sum of the lanes of {@code a}, lane 0 first, via the scratch {@code t} ({@code reduceLanes(ADD)} leaves
     * the floating-point order to the implementation).
     */
    private static double sumLanes(DoubleVector a, double[] t) {
        a.intoArray(t, 0);
        double s = t[0];
        for (int l = 1; l < L; l++) {
            s += t[l];
        }
        return s;
    }

    /** Worth using: at least four double lanes (AVX2 or wider). */
    static boolean usable() {
        return L >= 4;
    }

    static String describe() {
        return "jdk.incubator.vector " + L + "x" + S.elementSize() + "-bit";
    }

    /** {@code ki[j] = exp(c[base + j] * inr)} for j in {@code [0, m)}, and {@code acc[j] += ui * ki[j]} when acc is not null. */
    static void gibbsRow(double[] c, int base, double inr, double[] ki, int m, double ui, double[] acc) {
        int ub = S.loopBound(m);
        int j = 0;
        if (acc != null) {
            DoubleVector su = DoubleVector.broadcast(S, ui);
            for (; j < ub; j += L) {
                DoubleVector e = exp(DoubleVector.fromArray(S, c, base + j).mul(inr));
                e.intoArray(ki, j);
                e.fma(su, DoubleVector.fromArray(S, acc, j)).intoArray(acc, j);
            }
            for (; j < m; j++) {
                ki[j] = exp(c[base + j] * inr);
                acc[j] = Math.fma(ki[j], ui, acc[j]);
            }
        } else {
            expRow(c, base, inr, m, ki);
        }
    }

    /** {@code out[r] = k[i0 + r] . v} for r in {@code [0, 8)}: eight rows, eight independent lane accumulators. */
    static void dot8(double[][] k, int i0, double[] v, int m, double[] out, double[] t) {
        double[] k0 = k[i0];
        double[] k1 = k[i0 + 1];
        double[] k2 = k[i0 + 2];
        double[] k3 = k[i0 + 3];
        double[] k4 = k[i0 + 4];
        double[] k5 = k[i0 + 5];
        double[] k6 = k[i0 + 6];
        double[] k7 = k[i0 + 7];
        DoubleVector a0 = DoubleVector.zero(S);
        DoubleVector a1 = a0;
        DoubleVector a2 = a0;
        DoubleVector a3 = a0;
        DoubleVector a4 = a0;
        DoubleVector a5 = a0;
        DoubleVector a6 = a0;
        DoubleVector a7 = a0;
        int ub = S.loopBound(m);
        int j = 0;
        for (; j < ub; j += L) {
            DoubleVector vj = DoubleVector.fromArray(S, v, j);
            a0 = DoubleVector.fromArray(S, k0, j).fma(vj, a0);
            a1 = DoubleVector.fromArray(S, k1, j).fma(vj, a1);
            a2 = DoubleVector.fromArray(S, k2, j).fma(vj, a2);
            a3 = DoubleVector.fromArray(S, k3, j).fma(vj, a3);
            a4 = DoubleVector.fromArray(S, k4, j).fma(vj, a4);
            a5 = DoubleVector.fromArray(S, k5, j).fma(vj, a5);
            a6 = DoubleVector.fromArray(S, k6, j).fma(vj, a6);
            a7 = DoubleVector.fromArray(S, k7, j).fma(vj, a7);
        }
        double s0 = sumLanes(a0, t);
        double s1 = sumLanes(a1, t);
        double s2 = sumLanes(a2, t);
        double s3 = sumLanes(a3, t);
        double s4 = sumLanes(a4, t);
        double s5 = sumLanes(a5, t);
        double s6 = sumLanes(a6, t);
        double s7 = sumLanes(a7, t);
        for (; j < m; j++) {
            double vj = v[j];
            s0 = Math.fma(k0[j], vj, s0);
            s1 = Math.fma(k1[j], vj, s1);
            s2 = Math.fma(k2[j], vj, s2);
            s3 = Math.fma(k3[j], vj, s3);
            s4 = Math.fma(k4[j], vj, s4);
            s5 = Math.fma(k5[j], vj, s5);
            s6 = Math.fma(k6[j], vj, s6);
            s7 = Math.fma(k7[j], vj, s7);
        }
        out[0] = s0;
        out[1] = s1;
        out[2] = s2;
        out[3] = s3;
        out[4] = s4;
        out[5] = s5;
        out[6] = s6;
        out[7] = s7;
    }

    /** {@code acc[j] += sum_r u[i0 + r] k[i0 + r][j]} over r in {@code [0, 8)}, as one FMA chain per column. */
    static void axpy8(double[][] k, int i0, double[] u, int m, double[] acc) {
        double[] k0 = k[i0];
        double[] k1 = k[i0 + 1];
        double[] k2 = k[i0 + 2];
        double[] k3 = k[i0 + 3];
        double[] k4 = k[i0 + 4];
        double[] k5 = k[i0 + 5];
        double[] k6 = k[i0 + 6];
        double[] k7 = k[i0 + 7];
        double u0 = u[i0];
        DoubleVector w0 = DoubleVector.broadcast(S, u0);
        double u1 = u[i0 + 1];
        DoubleVector w1 = DoubleVector.broadcast(S, u1);
        double u2 = u[i0 + 2];
        DoubleVector w2 = DoubleVector.broadcast(S, u2);
        double u3 = u[i0 + 3];
        DoubleVector w3 = DoubleVector.broadcast(S, u3);
        double u4 = u[i0 + 4];
        DoubleVector w4 = DoubleVector.broadcast(S, u4);
        double u5 = u[i0 + 5];
        DoubleVector w5 = DoubleVector.broadcast(S, u5);
        double u6 = u[i0 + 6];
        DoubleVector w6 = DoubleVector.broadcast(S, u6);
        double u7 = u[i0 + 7];
        DoubleVector w7 = DoubleVector.broadcast(S, u7);
        int ub = S.loopBound(m);
        int j = 0;
        for (; j < ub; j += L) {
            DoubleVector t = DoubleVector.fromArray(S, acc, j);
            t = DoubleVector.fromArray(S, k0, j).fma(w0, t);
            t = DoubleVector.fromArray(S, k1, j).fma(w1, t);
            t = DoubleVector.fromArray(S, k2, j).fma(w2, t);
            t = DoubleVector.fromArray(S, k3, j).fma(w3, t);
            t = DoubleVector.fromArray(S, k4, j).fma(w4, t);
            t = DoubleVector.fromArray(S, k5, j).fma(w5, t);
            t = DoubleVector.fromArray(S, k6, j).fma(w6, t);
            t = DoubleVector.fromArray(S, k7, j).fma(w7, t);
            t.intoArray(acc, j);
        }
        for (; j < m; j++) {
            double t = acc[j];
            t = Math.fma(k0[j], u0, t);
            t = Math.fma(k1[j], u1, t);
            t = Math.fma(k2[j], u2, t);
            t = Math.fma(k3[j], u3, t);
            t = Math.fma(k4[j], u4, t);
            t = Math.fma(k5[j], u5, t);
            t = Math.fma(k6[j], u6, t);
            t = Math.fma(k7[j], u7, t);
            acc[j] = t;
        }
    }

    /** {@code x . y} over {@code [0, len)} (lane accumulators, then a scalar FMA tail). */
    static double dot(double[] x, double[] y, int len, double[] t) {
        DoubleVector s = DoubleVector.zero(S);
        int ub = S.loopBound(len);
        int j = 0;
        for (; j < ub; j += L) {
            s = DoubleVector.fromArray(S, x, j).fma(DoubleVector.fromArray(S, y, j), s);
        }
        double r = sumLanes(s, t);
        for (; j < len; j++) {
            r = Math.fma(x[j], y[j], r);
        }
        return r;
    }

    /** {@code acc[j] += s * x[j]} over {@code [0, len)}. */
    static void axpy(double s, double[] x, double[] acc, int len) {
        DoubleVector sv = DoubleVector.broadcast(S, s);
        int ub = S.loopBound(len);
        int j = 0;
        for (; j < ub; j += L) {
            DoubleVector.fromArray(S, x, j).fma(sv, DoubleVector.fromArray(S, acc, j)).intoArray(acc, j);
        }
        for (; j < len; j++) {
            acc[j] = Math.fma(x[j], s, acc[j]);
        }
    }

    /**
     * One plan row: {@code plan[base + j] = (ui * ki[j]) * v[j]}; returns the row sum in {@code out[0]} and
     * {@code sum_j P_ij C_ij} in {@code out[1]}.
     */
    static void planRow(double ui, double[] ki, double[] v, double[] c, int base, double[] plan, int m, double[] out,
                        double[] t) {
        DoubleVector su = DoubleVector.broadcast(S, ui);
        DoubleVector rs = DoubleVector.zero(S);
        DoubleVector ro = rs;
        int ub = S.loopBound(m);
        int j = 0;
        for (; j < ub; j += L) {
            DoubleVector p = su.mul(DoubleVector.fromArray(S, ki, j)).mul(DoubleVector.fromArray(S, v, j));
            p.intoArray(plan, base + j);
            rs = rs.add(p);
            ro = p.fma(DoubleVector.fromArray(S, c, base + j), ro);
        }
        double s = sumLanes(rs, t);
        double o = sumLanes(ro, t);
        for (; j < m; j++) {
            double p = ui * ki[j] * v[j];
            plan[base + j] = p;
            s += p;
            o = Math.fma(p, c[base + j], o);
        }
        out[0] = s;
        out[1] = o;
    }

    // ------------------------------------------------------------------ float kernel rows (values widened to double)

    private static DoubleVector widen(float[] x, int j) {
        return (DoubleVector) FloatVector.fromArray(F, x, j).convertShape(VectorOperators.F2D, S, 0);
    }

    /**
     * {@code row[j] = exp(c[base + j] * inr)} for j in {@code [0, m)}: {@link #exp(DoubleVector)} on the full lane groups,
     * {@link #exp(double)} (the same operations) on the tail. The float Gibbs rows are rounded from these by a scalar
     * loop ({@code Kernels.roundRow}) rather than converted here: a kernel that also converted the exponentials to float
     * and back (about 15 000 bytes inlined, most of them {@code exp}) was, on some profiles, compiled with the converted
     * vectors typed only through the profile, and its loop then allocated a vector per iteration.
     */
    static void expRow(double[] c, int base, double inr, int m, double[] row) {
        int ub = S.loopBound(m);
        int j = 0;
        for (; j < ub; j += L) {
            exp(DoubleVector.fromArray(S, c, base + j).mul(inr)).intoArray(row, j);
        }
        for (; j < m; j++) {
            row[j] = exp(c[base + j] * inr);
        }
    }

    /*
     * The float-row kernels take four rows at a time, not eight: each widened row inlines about 900 bytes of Vector
     * API code, and an eight-row kernel (13 500 bytes inlined) sits at the edge of C2's inlining budget. Depending on the
     * profile it was compiled with, C2 then typed the last accumulators only from the profile, their stores failed to
     * intrinsify, and the compiled loop boxed a vector each iteration: about one fresh JVM in fifteen ran every
     * Sinkhorn solve five times slower, its collector busy with the boxes. Four rows per call keep every row's sum
     * and every column's order of additions, so the results are the same bits.
     */

    /** {@code out[o + r] = sum_j k[i0 + r][j] * v[j]} for {@code r < 4}, lane-wise as {@link #dot8}. */
    static void dot4(float[][] k, int i0, double[] v, int m, double[] out, int o, double[] t) {
        DoubleVector a0 = DoubleVector.zero(S);
        DoubleVector a1 = a0;
        DoubleVector a2 = a0;
        DoubleVector a3 = a0;
        float[] k0 = k[i0];
        float[] k1 = k[i0 + 1];
        float[] k2 = k[i0 + 2];
        float[] k3 = k[i0 + 3];
        int ub = S.loopBound(m);
        int j = 0;
        for (; j < ub; j += L) {
            DoubleVector vj = DoubleVector.fromArray(S, v, j);
            a0 = widen(k0, j).fma(vj, a0);
            a1 = widen(k1, j).fma(vj, a1);
            a2 = widen(k2, j).fma(vj, a2);
            a3 = widen(k3, j).fma(vj, a3);
        }
        out[o] = tailDot(sumLanes(a0, t), k0, v, j, m);
        out[o + 1] = tailDot(sumLanes(a1, t), k1, v, j, m);
        out[o + 2] = tailDot(sumLanes(a2, t), k2, v, j, m);
        out[o + 3] = tailDot(sumLanes(a3, t), k3, v, j, m);
    }

    private static double tailDot(double s, float[] k, double[] v, int from, int m) {
        for (int j = from; j < m; j++) {
            s = Math.fma(k[j], v[j], s);
        }
        return s;
    }

    /** {@code acc[j] += sum_r u[i0 + r] * k[i0 + r][j]} for {@code r < 4}, one fused multiply-add per row in row order. */
    static void axpy4(float[][] k, int i0, double[] u, int m, double[] acc) {
        float[] k0 = k[i0];
        float[] k1 = k[i0 + 1];
        float[] k2 = k[i0 + 2];
        float[] k3 = k[i0 + 3];
        DoubleVector w0 = DoubleVector.broadcast(S, u[i0]);
        DoubleVector w1 = DoubleVector.broadcast(S, u[i0 + 1]);
        DoubleVector w2 = DoubleVector.broadcast(S, u[i0 + 2]);
        DoubleVector w3 = DoubleVector.broadcast(S, u[i0 + 3]);
        int ub = S.loopBound(m);
        int j = 0;
        for (; j < ub; j += L) {
            DoubleVector t = DoubleVector.fromArray(S, acc, j);
            t = widen(k0, j).fma(w0, t);
            t = widen(k1, j).fma(w1, t);
            t = widen(k2, j).fma(w2, t);
            t = widen(k3, j).fma(w3, t);
            t.intoArray(acc, j);
        }
        for (; j < m; j++) {
            double t = acc[j];
            for (int r = 0; r < 4; r++) {
                t = Math.fma(k[i0 + r][j], u[i0 + r], t);
            }
            acc[j] = t;
        }
    }

    /** {@link #planRow} from a float row; {@code plan} may be {@code c} (each cost entry is read before it is overwritten). */
    static void planRow(double ui, float[] ki, double[] v, double[] c, int base, double[] plan, int m, double[] out, double[] t) {
        DoubleVector su = DoubleVector.broadcast(S, ui);
        DoubleVector rs = DoubleVector.zero(S);
        DoubleVector ro = rs;
        int ub = S.loopBound(m);
        int j = 0;
        for (; j < ub; j += L) {
            DoubleVector cj = DoubleVector.fromArray(S, c, base + j);
            DoubleVector p = su.mul(widen(ki, j)).mul(DoubleVector.fromArray(S, v, j));
            p.intoArray(plan, base + j);
            rs = rs.add(p);
            ro = p.fma(cj, ro);
        }
        double s = sumLanes(rs, t);
        double o = sumLanes(ro, t);
        for (; j < m; j++) {
            double cj = c[base + j];
            double p = ui * ki[j] * v[j];
            plan[base + j] = p;
            s += p;
            o = Math.fma(p, cj, o);
        }
        out[0] = s;
        out[1] = o;
    }
    /**
     * {@link #planRow} into a float plan row ({@code plan[base + j] = (float) p}, p the double product) that also adds p to
     * {@code colAcc[j]}; returns the row sum of the unrounded entries in {@code out[0]} and {@code sum_j P_ij C_ij} in
     * {@code out[1]}.
     */
    static void planRowFloat(double ui, float[] ki, double[] v, double[] c, int base, float[] plan, int m, double[] colAcc, double[] out,
                             double[] t) {
        DoubleVector su = DoubleVector.broadcast(S, ui);
        DoubleVector rs = DoubleVector.zero(S);
        DoubleVector ro = rs;
        int ub = S.loopBound(m);
        int j = 0;
        for (; j < ub; j += L) {
            DoubleVector p = su.mul(widen(ki, j)).mul(DoubleVector.fromArray(S, v, j));
            ((FloatVector) p.convertShape(VectorOperators.D2F, F, 0)).intoArray(plan, base + j);
            p.add(DoubleVector.fromArray(S, colAcc, j)).intoArray(colAcc, j);
            rs = rs.add(p);
            ro = p.fma(DoubleVector.fromArray(S, c, base + j), ro);
        }
        LaneKernels.planRowFloatTail(ui, ki, v, c, base, plan, j, m, colAcc, sumLanes(rs, t), sumLanes(ro, t), out);
    }
}
