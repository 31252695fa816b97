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
}
