package io.otfuse.fusion;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** SIMD forms of {@link RowKernels}; loaded only when {@code jdk.incubator.vector} is enabled. */
final class RowVectorKernels {
    private RowVectorKernels() {}

    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Float> F = VectorSpecies.of(float.class, jdk.incubator.vector.VectorShape.forBitSize(D.vectorBitSize() / 2));

    /** Lanes of the double vectors. */
    static int lanes() {
        return D.length();
    }

    /** The lanes of {@code a} added in lane order ({@code reduceLanes(ADD)} leaves the order to the implementation). */
    private static double sumLanes(DoubleVector a) {
        return RowKernels.laneSum(a.toArray());
    }

    static boolean usable() {
        return D.length() >= 2 && F.length() == D.length();
    }

    /** The whole vectors of the row: sets {@code out} to their sums and returns where the scalar tail starts. */
    static int planRowStats(double[] plan, int base, int m, double[] colAcc, double[] out) {
        DoubleVector s = DoubleVector.zero(D), h = s;
        int ub = D.loopBound(m), j = 0;
        for (; j < ub; j += D.length()) {
            DoubleVector x = DoubleVector.fromArray(D, plan, base + j);
            s = s.add(x);
            x.add(DoubleVector.fromArray(D, colAcc, j)).intoArray(colAcc, j);
            VectorMask<Double> pos = x.compare(VectorOperators.GT, 0.0);
            h = h.sub(x.mul(x.lanewise(VectorOperators.LOG)), pos);
        }
        out[0] = sumLanes(s);
        out[1] = sumLanes(h);
        return ub;
    }

    static double distanceRow(float[] g, double ni, double[] nb, double[] out, int base, int m, boolean squared) {
        DoubleVector vni = DoubleVector.broadcast(D, ni), mx = DoubleVector.zero(D);
        int ub = D.loopBound(m), j = 0;
        boolean nan = false;
        for (; j < ub; j += D.length()) {
            DoubleVector gv = (DoubleVector) FloatVector.fromArray(F, g, base + j).convertShape(VectorOperators.F2D, D, 0);
            DoubleVector sq = vni.add(DoubleVector.fromArray(D, nb, j)).sub(gv.mul(2.0)).max(0.0);
            DoubleVector d = squared ? sq : sq.lanewise(VectorOperators.SQRT);
            d.intoArray(out, base + j);
            mx = mx.max(d);
        }
        double r = mx.reduceLanes(VectorOperators.MAX);
        for (; j < m; j++) {
            double sq = Math.max(0, ni + nb[j] - 2.0 * g[base + j]);
            double d = squared ? sq : Math.sqrt(sq);
            out[base + j] = d;
            if (d != d) nan = true;
            r = Math.max(r, d);
        }
        return nan ? Double.NaN : r;
    }

    /** The whole vectors of the row: counts their non-zero entries into {@code nnz[0]} and returns where the scalar tail starts. */
    static int normalisedRow(double[] plan, int base, int m, double scale, double[] colSums, float[] out, int[] nnz) {
        int ub = D.loopBound(m), j = 0, count = 0;
        for (; j < ub; j += D.length()) {
            DoubleVector p = DoubleVector.fromArray(D, plan, base + j);
            count += p.compare(VectorOperators.NE, 0.0).trueCount();
            DoubleVector v;
            VectorMask<Double> zero = p.compare(VectorOperators.EQ, 0.0);
            if (colSums == null) {
                v = p.mul(scale).blend(0.0, zero);
            } else {
                DoubleVector c = DoubleVector.fromArray(D, colSums, j);
                v = p.div(c).blend(0.0, c.compare(VectorOperators.GT, 0.0).not().or(zero));
            }
            ((FloatVector) v.convertShape(VectorOperators.D2F, F, 0)).intoArray(out, base + j);
        }
        nnz[0] = count;
        return ub;
    }

    static double sumSquares(float[] x, int from, int len) {
        DoubleVector acc = DoubleVector.zero(D);
        int ub = from + D.loopBound(len), i = from;
        for (; i < ub; i += D.length()) {
            DoubleVector v = (DoubleVector) FloatVector.fromArray(F, x, i).convertShape(VectorOperators.F2D, D, 0);
            acc = v.fma(v, acc);
        }
        double s = sumLanes(acc);
        for (; i < from + len; i++) s += (double) x[i] * x[i];
        return s;
    }

    static void scaleInto(float[] x, int from, int len, double scale, float[] out, int to) {
        int ub = D.loopBound(len), i = 0;
        for (; i < ub; i += D.length()) {
            DoubleVector v = (DoubleVector) FloatVector.fromArray(F, x, from + i).convertShape(VectorOperators.F2D, D, 0);
            ((FloatVector) v.mul(scale).convertShape(VectorOperators.D2F, F, 0)).intoArray(out, to + i);
        }
        for (; i < len; i++) out[to + i] = (float) (x[from + i] * scale);
    }

    /** The whole vectors of {@link RowKernels#addColumns}; returns where the scalar tail starts. */
    static int addColumns(float[] x, int from, int w, double[] sum) {
        int ub = D.loopBound(w), j = 0;
        for (; j < ub; j += D.length()) {
            DoubleVector v = (DoubleVector) FloatVector.fromArray(F, x, from + j).convertShape(VectorOperators.F2D, D, 0);
            v.add(DoubleVector.fromArray(D, sum, j)).intoArray(sum, j);
        }
        return ub;
    }

    /** The whole vectors of {@link RowKernels#addSquaredColumns}; returns where the scalar tail starts. */
    static int addSquaredColumns(float[] x, int from, int w, double[] shift, double[] sq) {
        int ub = D.loopBound(w), j = 0;
        for (; j < ub; j += D.length()) {
            DoubleVector v = (DoubleVector) FloatVector.fromArray(F, x, from + j).convertShape(VectorOperators.F2D, D, 0);
            if (shift != null) v = v.sub(DoubleVector.fromArray(D, shift, j));
            v.mul(v).add(DoubleVector.fromArray(D, sq, j)).intoArray(sq, j);
        }
        return ub;
    }

    /** The whole vectors of {@link RowKernels#standardiseColumns}; returns where the scalar tail starts. */
    static int standardiseColumns(float[] x, int from, int w, double[] shift, double[] scale, float[] out, int to) {
        int ub = D.loopBound(w), j = 0;
        for (; j < ub; j += D.length()) {
            DoubleVector v = (DoubleVector) FloatVector.fromArray(F, x, from + j).convertShape(VectorOperators.F2D, D, 0);
            DoubleVector r = v.sub(DoubleVector.fromArray(D, shift, j)).div(DoubleVector.fromArray(D, scale, j));
            ((FloatVector) r.convertShape(VectorOperators.D2F, F, 0)).intoArray(out, to + j);
        }
        return ub;
    }
}
