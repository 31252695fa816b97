package io.otfuse.ot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Sinkhorn-Knopp under {@link OtOptions#withScratchCost} (float Gibbs kernel, plan written into the cost array) against
 * the POT-exact double solve, on both kernel sets and for any thread count; and the {@link ArrayPool} the fusion
 * reuses its large arrays through.
 */
class ScratchSinkhornTest {
    private static OtProblem problem(long seed, int n, int m) {
        Random rnd = new Random(seed);
        return OtProblem.of(TestProblems.randomMarginal(rnd, n, false), TestProblems.randomMarginal(rnd, m, false),
                CostMatrix.of(TestProblems.euclideanCost(rnd, n, m, 16), n, m).maxNormalised());
    }

    private static OtResult scratch(OtProblem p, OtOptions o) {
        double[] c = p.cost().data().clone();
        OtResult r = OtSolvers.SINKHORN.solve(OtProblem.of(p.a(), p.b(), CostMatrix.of(c, p.n(), p.m())), o.withScratchCost(true));
        assertSame(c, r.plan(), "the plan is written into the cost array");
        return r;
    }

    /**
     * The float kernel perturbs each entry of K by at most 2^-24 relative, i.e. the cost by at most reg * 2^-24: the plan
     * moves by a few times 2^-24 relative (u and v absorb most of it), far below anything fusion can see.
     */
    @Test
    void floatKernelPlanMatchesTheDoubleSolve() {
        for (double reg : new double[] {0.06, 0.01}) {
            OtProblem p = problem(3, 301, 277); // odd sizes: row blocks of 8 and lane tails
            OtOptions o = OtOptions.defaults().withReg(reg).withMaxIter(2000);
            OtResult exact = OtSolvers.SINKHORN.solve(p, o);
            OtResult f = scratch(p, o);
            assertEquals(exact.iterations(), f.iterations(), 1, "reg " + reg);
            assertEquals(exact.objective(), f.objective(), 1e-6 * exact.objective(), "reg " + reg);
            double[] pe = exact.plan();
            double[] pf = f.plan();
            for (int i = 0; i < pe.length; i++) {
                assertEquals(pe[i], pf[i], 1e-5 * pe[i] + 1e-18, "reg " + reg + " entry " + i);
            }
            assertTrue(f.marginalError() < 1e-6, "marginals still met: " + f.marginalError());
        }
    }

    @Test
    void floatKernelsAgreeOnBothKernelSetsAndAnyThreadCount() {
        OtProblem p = problem(5, 1100, 1001); // above the sizes that stay on one thread
        OtOptions o = OtOptions.defaults().withReg(0.05).withMaxIter(200);
        OtResult one = scratch(p, o.withThreads(1));
        OtResult three = scratch(p, o.withThreads(3));
        assertEquals(one.objective(), three.objective(), 0.0);
        assertEquals(one.iterations(), three.iterations());
        for (int i = 0; i < one.plan().length; i++) assertEquals(one.plan()[i], three.plan()[i], 0.0, "entry " + i);
        boolean was = Kernels.useVector(false);
        OtResult scalar;
        try {
            scalar = scratch(p, o);
        } finally {
            Kernels.useVector(was);
        }
        assertEquals(scalar.iterations(), one.iterations());
        assertEquals(scalar.objective(), one.objective(), 1e-12 * one.objective());
        for (int i = 0; i < one.plan().length; i++) assertEquals(scalar.plan()[i], one.plan()[i], 1e-11 * one.plan()[i] + 1e-20, "entry " + i);
    }

    /**
     * With {@link OtOptions#withFloatPlan} the plan comes back only in float: each entry must be the scratch solve's double
     * entry rounded once, the marginals the sums of the double entries, the entropy (from the duals) the entry-by-entry
     * {@code -sum P log P} of the double plan within the float rounding of K, and everything identical for 1 and 3 threads
     * and close on the scalar kernels.
     */
    @Test
    void floatPlanIsTheRoundedPlanWithItsMarginalsAndEntropy() {
        for (double reg : new double[] {0.06, 0.01}) {
            OtProblem p = problem(7, 1100, 1001);
            OtOptions o = OtOptions.defaults().withReg(reg).withMaxIter(300);
            OtResult d = scratch(p, o);
            OtResult f = OtSolvers.SINKHORN.solve(OtProblem.of(p.a(), p.b(), CostMatrix.of(p.cost().data().clone(), p.n(), p.m())),
                    o.withScratchCost(true).withFloatPlan(true).withThreads(1));
            int n = p.n(), m = p.m();
            double[] pd = d.plan();
            float[] pf = f.floatPlan();
            assertEquals(d.iterations(), f.iterations());
            assertEquals(d.objective(), f.objective(), 0.0, "same pass, same sums");
            assertEquals(d.marginalError(), f.marginalError(), 0.0);
            double h = 0;
            double[] rows = new double[n], cols = new double[m];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < m; j++) {
                    double x = pd[i * m + j];
                    assertEquals((float) x, pf[i * m + j], 0.0f, "reg " + reg + " entry " + i + "," + j);
                    rows[i] += x;
                    cols[j] += x;
                    if (x > 0) h -= x * Math.log(x);
                }
            }
            for (int i = 0; i < n; i++) assertEquals(rows[i], f.rowSums()[i], 1e-12 * rows[i], "row " + i);
            for (int j = 0; j < m; j++) assertEquals(cols[j], f.colSums()[j], 1e-12 * cols[j], "column " + j);
            assertEquals(h, f.entropy(), 1e-7, "reg " + reg);
            assertEquals((float) pd[5], (float) f.plan()[5], 0.0f, "plan() widens the floats");

            OtResult three = OtSolvers.SINKHORN.solve(OtProblem.of(p.a(), p.b(), CostMatrix.of(p.cost().data().clone(), n, m)),
                    o.withScratchCost(true).withFloatPlan(true).withThreads(3));
            assertEquals(f.entropy(), three.entropy(), 0.0);
            for (int j = 0; j < m; j++) assertEquals(f.colSums()[j], three.colSums()[j], 0.0, "column " + j);
            for (int x = 0; x < pf.length; x++) assertEquals(pf[x], three.floatPlan()[x], 0.0f, "entry " + x);
            boolean was = Kernels.useVector(false);
            OtResult scalar;
            try {
                scalar = OtSolvers.SINKHORN.solve(OtProblem.of(p.a(), p.b(), CostMatrix.of(p.cost().data().clone(), n, m)),
                        o.withScratchCost(true).withFloatPlan(true));
            } finally {
                Kernels.useVector(was);
            }
            assertEquals(f.entropy(), scalar.entropy(), 1e-10);
            for (int i = 0; i < n; i++) assertEquals(f.rowSums()[i], scalar.rowSums()[i], 1e-11 * f.rowSums()[i], "row " + i);
        }
    }

    @Test
    void poolReusesLargeArraysOnly() {
        ArrayPool.clear();
        double[] big = new double[ArrayPool.MIN_LENGTH];
        ArrayPool.give(big);
        assertSame(big, ArrayPool.doubles(ArrayPool.MIN_LENGTH));
        assertNotSame(big, ArrayPool.doubles(ArrayPool.MIN_LENGTH), "taken once");
        float[] f = new float[ArrayPool.MIN_LENGTH + 1];
        ArrayPool.give(f);
        assertEquals(ArrayPool.MIN_LENGTH, ArrayPool.floats(ArrayPool.MIN_LENGTH).length, "other lengths are not handed out");
        assertSame(f, ArrayPool.floats(ArrayPool.MIN_LENGTH + 1));
        double[] small = new double[16];
        ArrayPool.give(small);
        assertNotSame(small, ArrayPool.doubles(16));
        assertEquals(0, ArrayPool.pooled());
        ArrayPool.give(big);
        assertThrows(IllegalStateException.class, () -> ArrayPool.give(big), "handed back twice");
        ArrayPool.clear();
        assertEquals(0, ArrayPool.pooled());
    }

    /**
     * The pool keeps up to eight free arrays of a size, fewer of the large ones (at most 160 MB of one size, but always
     * two): a layer's bursts of small arrays come back, and a BERT embedding matrix is not kept eight times.
     */
    @Test
    void poolKeepsEightOfASizeAndFewerLargeOnes() {
        ArrayPool.clear();
        try {
            for (int i = 0; i < 10; i++) ArrayPool.give(new float[ArrayPool.MIN_LENGTH]);
            assertEquals(8, ArrayPool.pooled(), "ten small arrays handed back");
            for (int i = 0; i < 8; i++) assertEquals(ArrayPool.MIN_LENGTH, ArrayPool.floats(ArrayPool.MIN_LENGTH).length);
            assertEquals(0, ArrayPool.pooled());
        } finally {
            ArrayPool.clear();
        }
        assertEquals(8, ArrayPool.keep(768 * 768, 8), "768 x 768 doubles, 4.7 MB");
        assertEquals(8, ArrayPool.keep(3072 * 768, 4), "3072 x 768 floats, 9.4 MB");
        assertEquals(4, ArrayPool.keep(3072 * 3072, 4), "3072 x 3072 floats, 37.7 MB");
        assertEquals(2, ArrayPool.keep(3072 * 3072, 8), "3072 x 3072 doubles, 75.5 MB");
        assertEquals(2, ArrayPool.keep(30522 * 768, 4), "a BERT-base embedding matrix, 93.8 MB");
    }
}
