package io.otfuse.ot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class ExactSolversTest {

    /** Minimum over all n! permutations, by Heap's algorithm. */
    static double bruteForceAssignment(double[] c, int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        double best = cost(c, p, n);
        int[] cnt = new int[n];
        int i = 0;
        while (i < n) {
            if (cnt[i] < i) {
                int s = (i % 2 == 0) ? 0 : cnt[i];
                int t = p[s];
                p[s] = p[i];
                p[i] = t;
                best = Math.min(best, cost(c, p, n));
                cnt[i]++;
                i = 0;
            } else {
                cnt[i] = 0;
                i++;
            }
        }
        return best;
    }

    private static double cost(double[] c, int[] p, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += c[i * n + p[i]];
        }
        return s;
    }

    @Test
    void assignmentAndSimplexMatchBruteForceUpTo7() {
        Random rnd = new Random(1);
        for (int n = 1; n <= 7; n++) {
            for (int rep = 0; rep < 40; rep++) {
                double[] c = rep % 3 == 0 ? intCost(rnd, n, n, 4) : TestProblems.randomCost(rnd, n, n);
                double brute = bruteForceAssignment(c, n) / n;
                OtProblem p = OtProblem.uniform(c, n, n);
                OtResult as = OtSolvers.ASSIGNMENT.solve(p);
                OtResult ns = OtSolvers.NETWORK_SIMPLEX.solve(p);
                assertEquals(brute, as.objective(), 1e-12, "assignment n=" + n + " rep=" + rep);
                assertEquals(brute, ns.objective(), 1e-12, "simplex n=" + n + " rep=" + rep);
                assertTrue(as.isPermutation());
                assertEquals(brute, TestProblems.dot(as.plan(), c), 1e-12);
                assertTrue(OptimalityCertificate.check(p, as).isOptimal(1e-12), () -> OptimalityCertificate.check(p, as).toString());
                assertTrue(OptimalityCertificate.check(p, ns).isOptimal(1e-12), () -> OptimalityCertificate.check(p, ns).toString());
            }
        }
    }

    /** Small integer costs: many ties and degenerate pivots (exercises the anti-cycling rule). */
    static double[] intCost(Random rnd, int n, int m, int range) {
        double[] c = new double[n * m];
        for (int k = 0; k < c.length; k++) {
            c[k] = rnd.nextInt(range);
        }
        return c;
    }

    @Test
    void fcFusionWorkedExampleGivesThePermutation() {
        double[] c = {0.965592, 0.064830, 1.000000, 0.065867, 0.994766, 0.525417, 0.685381, 0.942801, 0.177533};
        OtProblem p = OtProblem.uniform(c, 3, 3);
        double[] expected = {0, 1, 0, 1, 0, 0, 0, 0, 1};
        for (OtSolver s : new OtSolver[] {OtSolvers.ASSIGNMENT, OtSolvers.NETWORK_SIMPLEX}) {
            OtResult r = s.solve(p);
            double[] tn = r.plan().clone();
            for (int k = 0; k < tn.length; k++) {
                tn[k] *= 3;
            }
            assertArrayEquals(expected, tn, 1e-15, s.name());
        }
        assertArrayEquals(new int[] {1, 0, 2}, OtSolvers.exact(p).permutation());
    }

    @Test
    void certificatesOnRandomRectangularNonUniformProblems() {
        Random rnd = new Random(7);
        int[][] sizes = {{1, 5}, {5, 1}, {2, 3}, {17, 9}, {40, 70}, {120, 80}, {300, 200}, {500, 350}};
        for (int[] s : sizes) {
            int n = s[0];
            int m = s[1];
            for (int rep = 0; rep < (n > 200 ? 1 : 5); rep++) {
                boolean zeros = rep % 2 == 1;
                double[] c = rep % 3 == 2 ? intCost(rnd, n, m, 5) : TestProblems.randomCost(rnd, n, m);
                OtProblem p = OtProblem.of(TestProblems.randomMarginal(rnd, n, zeros), TestProblems.randomMarginal(rnd, m, zeros),
                        CostMatrix.of(c, n, m));
                OtResult r = OtSolvers.exact(p, OtOptions.defaults());
                assertEquals(NetworkSimplex.NAME, r.solver());
                OptimalityCertificate cert = OptimalityCertificate.check(p, r);
                assertTrue(cert.isOptimal(1e-10), () -> n + "x" + m + ": " + cert);
                assertEquals(cert.primalObjective(), r.objective(), 1e-12);
                assertTrue(r.marginalError() < 1e-12, () -> "marginal error " + r.marginalError());
                assertTrue(r.converged());
            }
        }
    }

    @Test
    void certificateDetectsSuboptimalPlansAndBadDuals() {
        double[] c = {0, 1, 1, 0};
        OtProblem p = OtProblem.uniform(c, 2, 2);
        double[] bad = {0, 0.5, 0.5, 0};      // feasible but not optimal
        assertFalse(OptimalityCertificate.check(p, bad, new double[] {0, 0}, new double[] {0, 0}).isOptimal(1e-9));
        double[] good = {0.5, 0, 0, 0.5};
        assertTrue(OptimalityCertificate.check(p, good, new double[] {0, 0}, new double[] {0, 0}).isOptimal(1e-9));
        // dual infeasible potentials
        assertFalse(OptimalityCertificate.check(p, good, new double[] {1, 0}, new double[] {0, 0}).isOptimal(1e-9));
        // marginal violated
        assertFalse(OptimalityCertificate.check(p, new double[] {0.5, 0, 0, 0.4}, new double[] {0, 0}, new double[] {0, 0})
                .isOptimal(1e-9));
    }

    @Test
    void rectangularUniformUsesReplicationWhenDivisibleElseSimplex() {
        Random rnd = new Random(3);
        int[][] sizes = {{3, 6}, {6, 3}, {4, 12}, {20, 60}, {60, 20}, {64, 128}};
        for (int[] s : sizes) {
            int n = s[0];
            int m = s[1];
            double[] c = TestProblems.randomCost(rnd, n, m);
            OtProblem p = OtProblem.uniform(c, n, m);
            OtResult as = OtSolvers.exact(p);
            assertEquals(AssignmentSolver.NAME, as.solver());
            assertFalse(as.isPermutation());
            OtResult ns = OtSolvers.NETWORK_SIMPLEX.solve(p);
            assertEquals(ns.objective(), as.objective(), 1e-12, n + "x" + m);
            OptimalityCertificate cert = OptimalityCertificate.check(p, as);
            assertTrue(cert.isOptimal(1e-12), cert::toString);
        }
        OtProblem odd = OtProblem.uniform(TestProblems.randomCost(rnd, 5, 7), 5, 7);
        assertSame(OtSolvers.NETWORK_SIMPLEX, OtSolvers.exactSolverFor(odd));
        assertTrue(OptimalityCertificate.check(odd, OtSolvers.exact(odd)).isOptimal(1e-12));
    }

    @Test
    void assignmentOnLargerEuclideanProblemsIsCertified() {
        Random rnd = new Random(11);
        for (int n : new int[] {50, 200, 400}) {
            double[] c = TestProblems.euclideanCost(rnd, n, n, 32);
            OtProblem p = OtProblem.uniform(c, n, n);
            OtResult as = OtSolvers.exact(p, OtOptions.defaults().withCertify(true));
            assertTrue(as.isPermutation());
            int[] perm = as.permutation();
            boolean[] seen = new boolean[n];
            for (int j : perm) {
                assertFalse(seen[j]);
                seen[j] = true;
            }
            OtResult ns = OtSolvers.NETWORK_SIMPLEX.solve(p);
            assertEquals(ns.objective(), as.objective(), 1e-12 * as.objective());
            assertTrue(OptimalityCertificate.check(p, ns).isOptimal(1e-10));
        }
    }

    @Test
    void floatCostsAreWidened() {
        float[] c = {0f, 1f, 1f, 0f};
        OtResult r = OtSolvers.exact(OtProblem.uniform(CostMatrix.of(c, 2, 2)));
        assertEquals(0.0, r.objective());
        assertNotNull(r.dualF());
    }

    @Test
    void marginalsOfUnequalMassAreRejectedNamingBothSums() {
        CostMatrix c = CostMatrix.of(new double[] {0, 1, 1, 0}, 2, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OtProblem.of(new double[] {0.5, 0.5}, new double[] {0.5, 0.6}, c));
        assertTrue(e.getMessage().contains("sum(a)=1.0") && e.getMessage().contains("sum(b)=1.1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> OtProblem.of(new double[] {-0.5, 1.5}, null, c));
        assertThrows(IllegalArgumentException.class, () -> OtProblem.of(new double[] {1}, null, c));
        // equal mass within 1e-7 is accepted and b rescaled to the mass of a
        OtProblem p = OtProblem.of(new double[] {1, 1}, new double[] {1, 1 + 1e-9}, c);
        assertEquals(2.0, p.b()[0] + p.b()[1], 1e-15);
    }

    @Test
    void networkSimplexIterationCapReportsNonConvergence() {
        Random rnd = new Random(5);
        OtProblem p = OtProblem.uniform(TestProblems.randomCost(rnd, 60, 60), 60, 60);
        OtResult r = OtSolvers.NETWORK_SIMPLEX.solve(p, OtOptions.defaults().withMaxIter(10));
        assertFalse(r.converged());
        assertEquals(10, r.iterations());
        assertTrue(r.warning().contains("numItermax"));
        // with the artificial-root start, part of the mass is still on artificial arcs: reported, not hidden
        assertTrue(r.marginalError() > 1e-3, "marginal error " + r.marginalError());
        for (double x : r.plan()) {
            assertTrue(x >= 0);
        }
    }

    @org.junit.jupiter.api.Test
    void nonFiniteCostsAreRejectedWithTheirPosition() {
        double[] c = {0, 1, 2, Double.NaN};
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> OtSolvers.emd(null, null, c, 2, 2));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("(1, 1) is NaN"), e.getMessage());
        double[] inf = {0, Double.POSITIVE_INFINITY, 2, 3};
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> CostMatrix.of(inf, 2, 2));
    }
}
