package io.otfuse.ot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

class OtPropertiesTest {

    private static OtProblem problem(long seed, int n, int m, boolean uniform) {
        Random rnd = new Random(seed);
        CostMatrix c = CostMatrix.of(TestProblems.randomCost(rnd, n, m), n, m);
        return uniform ? OtProblem.uniform(c)
                : OtProblem.of(TestProblems.randomMarginal(rnd, n, seed % 3 == 0), TestProblems.randomMarginal(rnd, m, false), c);
    }

    /** A random feasible plan: the north-west corner rule on a random row/column order. */
    private static double[] randomFeasiblePlan(OtProblem p, Random rnd) {
        int n = p.n();
        int m = p.m();
        int[] ri = shuffled(n, rnd);
        int[] cj = shuffled(m, rnd);
        double[] ra = new double[n];
        double[] cb = new double[m];
        for (int i = 0; i < n; i++) {
            ra[i] = p.a()[ri[i]];
        }
        for (int j = 0; j < m; j++) {
            cb[j] = p.b()[cj[j]];
        }
        double[] plan = new double[n * m];
        int i = 0;
        int j = 0;
        while (i < n && j < m) {
            double x = Math.min(ra[i], cb[j]);
            plan[ri[i] * m + cj[j]] += x;
            ra[i] -= x;
            cb[j] -= x;
            if (ra[i] <= cb[j]) {
                i++;
            } else {
                j++;
            }
        }
        return plan;
    }

    private static int[] shuffled(int n, Random rnd) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int k = rnd.nextInt(i + 1);
            int t = p[i];
            p[i] = p[k];
            p[k] = t;
        }
        return p;
    }

    @Property(tries = 60)
    void exactPlansHaveTheMarginalsAndAreNonNegative(@ForAll @LongRange(min = 0, max = 1_000_000) long seed,
                                                     @ForAll @IntRange(min = 1, max = 25) int n,
                                                     @ForAll @IntRange(min = 1, max = 25) int m,
                                                     @ForAll boolean uniform) {
        OtProblem p = problem(seed, n, m, uniform);
        OtResult r = OtSolvers.exact(p);
        double[] plan = r.plan();
        for (double x : plan) {
            assertTrue(x >= 0);
        }
        assertArrayEquals(p.a(), TestProblems.rowSums(plan, n, m), 1e-12);
        assertArrayEquals(p.b(), TestProblems.colSums(plan, n, m), 1e-12);
        assertTrue(OptimalityCertificate.check(p, r).isOptimal(1e-10));
    }

    @Property(tries = 40)
    void exactObjectiveIsAtMostThatOfRandomFeasiblePlans(@ForAll @LongRange(min = 0, max = 1_000_000) long seed,
                                                         @ForAll @IntRange(min = 1, max = 20) int n,
                                                         @ForAll @IntRange(min = 1, max = 20) int m) {
        OtProblem p = problem(seed, n, m, seed % 2 == 0);
        double opt = OtSolvers.exact(p).objective();
        Random rnd = new Random(seed + 1);
        for (int k = 0; k < 20; k++) {
            double[] q = randomFeasiblePlan(p, rnd);
            assertTrue(opt <= TestProblems.dot(q, p.cost().data()) + 1e-12);
        }
    }

    @Property(tries = 30)
    void sinkhornPlansHaveTheMarginalsWhenConverged(@ForAll @LongRange(min = 0, max = 1_000_000) long seed,
                                                    @ForAll @IntRange(min = 2, max = 30) int n,
                                                    @ForAll @IntRange(min = 2, max = 30) int m) {
        OtProblem p = problem(seed, n, m, false);
        for (OtSolver s : new OtSolver[] {OtSolvers.SINKHORN, OtSolvers.SINKHORN_LOG}) {
            OtResult r = s.solve(p, OtOptions.defaults().withReg(0.1).withMaxIter(20000));
            assertTrue(r.converged(), r::toString);
            double[] plan = r.plan();
            for (double x : plan) {
                assertTrue(x >= 0);
            }
            assertArrayEquals(p.b(), TestProblems.colSums(plan, n, m), 1e-8);
            assertArrayEquals(p.a(), TestProblems.rowSums(plan, n, m), 1e-8);
        }
    }

    @Property(tries = 15)
    void sinkhornObjectiveTendsToTheExactObjective(@ForAll @LongRange(min = 0, max = 1_000_000) long seed,
                                                   @ForAll @IntRange(min = 2, max = 15) int n) {
        OtProblem p = problem(seed, n, n + 3, false);
        double exact = OtSolvers.exact(p).objective();
        double prevGap = Double.POSITIVE_INFINITY;
        for (double reg : new double[] {1e-1, 1e-2, 1e-3}) {
            // budget for slow instances: seed 279745, n 14 needs 178 668 iterations at reg 1e-3 (0.18 s)
            OtResult r = OtSolvers.sinkhornEpsilonScaling(p, OtOptions.defaults().withReg(reg).withMaxIter(500000).withStopThr(1e-11));
            double gap = r.objective() - exact;
            // <P_reg, C> >= OT and <P_reg, C> - OT <= reg * (log n + log m) (entropy bound)
            assertTrue(gap >= -1e-9, () -> "gap " + gap);
            assertTrue(gap <= reg * (Math.log(n) + Math.log(n + 3)) + 1e-9, () -> "gap " + gap + " at reg " + reg);
            prevGap = gap;
        }
        assertTrue(prevGap <= 1e-3 * (Math.log(n) + Math.log(n + 3)) + 1e-9);
    }

    @Property(tries = 30)
    void plansAreInvariantToAddingAConstantToARowOrColumn(@ForAll @LongRange(min = 0, max = 1_000_000) long seed,
                                                          @ForAll @IntRange(min = 2, max = 12) int n,
                                                          @ForAll @IntRange(min = 2, max = 12) int m,
                                                          @ForAll @IntRange(min = -5, max = 5) int shift) {
        OtProblem p = problem(seed, n, m, seed % 2 == 0);
        Random rnd = new Random(seed);
        int row = rnd.nextInt(n);
        int col = rnd.nextInt(m);
        double[] c2 = p.cost().data().clone();
        for (int j = 0; j < m; j++) {
            c2[row * m + j] += shift * 0.25;
        }
        for (int i = 0; i < n; i++) {
            c2[i * m + col] -= shift * 0.125;
        }
        OtProblem q = OtProblem.of(p.a(), p.b(), CostMatrix.of(c2, n, m));
        // entropic plans: invariant exactly (up to rounding)
        OtResult s1 = OtSolvers.sinkhorn(p, OtOptions.defaults().withReg(0.2).withMaxIter(5000));
        OtResult s2 = OtSolvers.sinkhorn(q, OtOptions.defaults().withReg(0.2).withMaxIter(5000));
        assertArrayEquals(s1.plan(), s2.plan(), 1e-9);
        // exact: the optimal value shifts by the constant times the row/column mass, and the first plan stays optimal
        OtResult e1 = OtSolvers.exact(p);
        OtResult e2 = OtSolvers.exact(q);
        double expectedShift = shift * 0.25 * p.a()[row] - shift * 0.125 * p.b()[col];
        assertEquals(e1.objective() + expectedShift, e2.objective(), 1e-12);
        assertEquals(e2.objective(), TestProblems.dot(e1.plan(), c2), 1e-12);
    }
}
