package io.otfuse.ot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class SinkhornTest {
    static final double[] FC_COST = {0.965592, 0.064830, 1.000000, 0.065867, 0.994766, 0.525417, 0.685381, 0.942801, 0.177533};

    static double[] times(double[] x, double s) {
        double[] y = x.clone();
        for (int k = 0; k < y.length; k++) {
            y[k] *= s;
        }
        return y;
    }

    @Test
    void potDocumentationExample() {
        OtResult r = OtSolvers.sinkhorn(new double[] {0.5, 0.5}, new double[] {0.5, 0.5}, new double[] {0, 1, 1, 0}, 2, 2, 1.0);
        assertArrayEquals(new double[] {0.36552929, 0.13447071, 0.13447071, 0.36552929}, r.plan(), 1e-8);
        // POT 0.8.2 (log=True): niter = 0, i.e. one iteration; values from POT to 1e-15
        assertArrayEquals(new double[] {0.36552928931500245, 0.13447071068499758, 0.13447071068499758, 0.36552928931500245},
                r.plan(), 1e-15);
        assertEquals(1, r.iterations());
        assertTrue(r.converged());
    }

    @Test
    void fcFusionLayerVectorsLambda1StopsAtIteration10Check() {
        OtResult r = OtSolvers.sinkhorn(OtProblem.uniform(FC_COST, 3, 3), 1.0);
        assertArrayEquals(new double[] {0.221012, 0.566127, 0.212861, 0.490048, 0.201431, 0.308521, 0.288940, 0.232442, 0.478618},
                times(r.plan(), 3), 1e-6);
        // POT 0.8.2 float64 values
        assertArrayEquals(new double[] {0.2210115220031595, 0.5661269791213358, 0.21286149887550482, 0.4900483523916872,
            0.20143094671430295, 0.3085207008940098, 0.2889401255996881, 0.23244207417477633, 0.47861780022553563},
                times(r.plan(), 3), 1e-14);
        assertEquals(0.45329276922632017, r.objective(), 1e-15);
        assertEquals(11, r.iterations()); // POT niter = 10
        assertTrue(r.converged());
    }

    @Test
    void fcFusionLayerVectorsLambda008RunsAll1000Iterations() {
        OtResult r = OtSolvers.sinkhorn(OtProblem.uniform(FC_COST, 3, 3), 0.08);
        assertArrayEquals(new double[] {0.000030, 0.999955, 0.000015, 0.997622, 0.000004, 0.002374, 0.002348, 0.000040, 0.997612},
                times(r.plan(), 3), 1e-5);
        assertArrayEquals(new double[] {3.0166691368132163e-05, 9.9995524288831861e-01, 1.4590420313217385e-05,
            9.9762178288198655e-01, 3.8616495138009882e-06, 2.3743554684996235e-03, 2.3479381037376981e-03,
            4.0154930639138529e-05, 9.9761190696562307e-01}, times(r.plan(), 3), 1e-12);
        assertEquals(0.10352955487470082, r.objective(), 1e-13);
        assertEquals(1000, r.iterations());
        assertFalse(r.converged());
        assertEquals("Sinkhorn did not converge", r.warning());
    }

    @Test
    void knoppRevertsAndStopsOnNumericalErrors() {
        // reg so small that K underflows to 0 in some columns: POT warns at iteration 0 and returns u, v = 1/n, 1/m
        double[] c = {0.9, 1.0, 1.0, 0.9};
        OtResult r = OtSolvers.sinkhorn(OtProblem.uniform(c, 2, 2), 1e-3);
        assertEquals("numerical errors at iteration 0", r.warning());
        assertFalse(r.converged());
        assertEquals(0, r.iterations());
        for (double x : r.plan()) {
            assertEquals(0.0, x); // (1/2) * exp(-900) * (1/2) underflows
        }
    }

    @Test
    void resultsAreIdenticalForAnyThreadCount() {
        Random rnd = new Random(2);
        int n = 1100;   // over 2^20 entries, so every pass really runs on several threads
        int m = 1001;
        OtProblem p = OtProblem.of(TestProblems.randomMarginal(rnd, n, false), TestProblems.randomMarginal(rnd, m, false),
                CostMatrix.of(TestProblems.randomCost(rnd, n, m), n, m));
        for (OtSolver s : new OtSolver[] {OtSolvers.SINKHORN, OtSolvers.SINKHORN_LOG, OtSolvers.SINKHORN_UNBALANCED}) {
            OtOptions o = OtOptions.defaults().withReg(0.05).withRegM(1.0).withMaxIter(200);
            OtResult r1 = s.solve(p, o.withThreads(1));
            OtResult r3 = s.solve(p, o.withThreads(3));
            assertArrayEquals(r1.plan(), r3.plan(), 0.0, s.name());
            assertEquals(r1.objective(), r3.objective(), 0.0);
            assertEquals(r1.iterations(), r3.iterations());
        }
    }

    @Test
    void logDomainMatchesKnoppWhereKnoppWorks() {
        Random rnd = new Random(4);
        int n = 60;
        int m = 45;
        OtProblem p = OtProblem.of(TestProblems.randomMarginal(rnd, n, false), TestProblems.randomMarginal(rnd, m, false),
                CostMatrix.of(TestProblems.randomCost(rnd, n, m), n, m));
        OtOptions o = OtOptions.defaults().withReg(0.05).withMaxIter(5000);
        OtResult k = OtSolvers.sinkhorn(p, o);
        OtResult l = OtSolvers.sinkhornLog(p, o);
        assertTrue(k.converged() && l.converged());
        assertEquals(k.objective(), l.objective(), 1e-9 * k.objective());
        assertArrayEquals(k.plan(), l.plan(), 1e-9);
    }

    @Test
    void logDomainWorksDownToRegOneEMinus4() {
        Random rnd = new Random(8);
        int n = 40;
        int m = 30;
        CostMatrix c = CostMatrix.of(TestProblems.euclideanCost(rnd, n, m, 8), n, m).maxNormalised();
        OtProblem p = OtProblem.of(TestProblems.randomMarginal(rnd, n, false), TestProblems.randomMarginal(rnd, m, false), c);
        double exact = OtSolvers.exact(p).objective();
        for (double reg : new double[] {1e-2, 1e-3, 1e-4}) {
            OtResult knopp = OtSolvers.sinkhorn(p, reg);
            OtResult l = OtSolvers.sinkhornEpsilonScaling(p, OtOptions.defaults().withReg(reg).withMaxIter(20000));
            assertTrue(l.converged(), () -> reg + ": " + l);
            assertTrue(l.marginalError() < 1e-8, () -> reg + ": " + l);
            // entropic bias: 0 <= obj - exact <= reg * (log n + log m)
            assertTrue(l.objective() >= exact - 1e-9, () -> reg + ": " + l.objective() + " < exact " + exact);
            assertTrue(l.objective() - exact <= reg * (Math.log(n) + Math.log(m)), () -> reg + ": " + l.objective() + " vs " + exact);
            if (reg <= 1e-3) {
                assertNotNull(knopp.warning(), "Knopp is expected to fail at reg " + reg);
                assertFalse(knopp.converged());
            }
        }
    }

    @Test
    void unbalancedMatchesPot() {
        double[] m = {0.5118216247002567, 0.9504636963259353, 0.14415961271963373, 0.9486494471372439, 0.31183145201048545,
            0.42332644897257565, 0.8277025938204418, 0.4091991363691613, 0.5495936876730595, 0.02755911324306837,
            0.7535131086748066, 0.5381433132192782, 0.32973171649909216, 0.7884287034284043, 0.303194829291645,
            0.4534978894806515, 0.13404169724716475, 0.40311298644712923, 0.20345524067614962, 0.2623133404418495};
        double[] a = {0.7503646726300526, 0.2804087579860399, 0.48519097443163506, 0.9807371998012386};
        double[] b = {0.9616571936637868, 0.7247899407735336, 0.5412268555474342, 0.2768912040453708, 0.16065200877512686};
        double[] pot = {2.8626166355427507e-01, 4.8924381742377081e-04, 3.7853822889843414e-01, 4.2463097124053397e-04,
            2.0518041841322467e-02, 1.8502464421300030e-01, 4.4545799948621082e-04, 7.1317225930324539e-03,
            6.1266847218581881e-03, 9.3940250519581228e-02, 7.3152786809608836e-02, 8.6562637517897958e-02,
            1.6955117431793496e-01, 6.0389575770601611e-03, 6.4086233809510590e-02, 1.6983450735178415e-01,
            5.6907173920230003e-01, 9.4070946633852629e-03, 2.4227855038179846e-01, 1.1146956812762423e-02};
        OtProblem p = OtProblem.unbalanced(a, b, CostMatrix.of(m, 4, 5));
        OtResult r = OtSolvers.sinkhornUnbalanced(p, 0.1, 1.0);
        assertArrayEquals(pot, r.plan(), 1e-13);
        assertEquals(68, r.iterations());
        assertTrue(r.converged());
        assertNull(r.warning());
    }

    @Test
    void unbalancedApproachesBalancedForLargeRegM() {
        Random rnd = new Random(6);
        int n = 20;
        OtProblem p = OtProblem.uniform(TestProblems.randomCost(rnd, n, n), n, n);
        OtResult bal = OtSolvers.sinkhorn(p, OtOptions.defaults().withReg(0.1).withMaxIter(10000));
        OtResult unb = OtSolvers.sinkhornUnbalanced(p, OtOptions.defaults().withReg(0.1).withRegM(1e6).withStopThr(1e-12)
                .withMaxIter(100000));
        assertArrayEquals(bal.plan(), unb.plan(), 1e-5);
    }
}
