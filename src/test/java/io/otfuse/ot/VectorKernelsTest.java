package io.otfuse.ot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The SIMD kernels ({@link VectorKernels}, used when the JVM runs with {@code --add-modules
 * jdk.incubator.vector}) against the scalar ones, kernel by kernel and through the solvers, and the scalar
 * fallback in a JVM without the module.
 */
class VectorKernelsTest {
    private static final boolean X86 = System.getProperty("os.arch").equals("amd64") || System.getProperty("os.arch").equals("x86_64");

    private static void assumeVector() {
        assumeTrue(Kernels.VECTOR_AVAILABLE, "SIMD kernels not available in this JVM");
    }

    @Test
    void testJvmUsesTheVectorKernelsOnX86() {
        // surefire passes --add-modules jdk.incubator.vector (pom.xml argLine)
        assumeTrue(X86);
        assertTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent());
        assertTrue(Kernels.VECTOR_AVAILABLE);
        assertTrue(Kernels.vector());
        assertTrue(OtSolvers.kernels().startsWith("jdk.incubator.vector"), OtSolvers.kernels());
    }

    /** |x - y| <= tol * scale, with a message naming the index. */
    private static void assertClose(double[] expected, double[] actual, double relTol, String what) {
        assertEquals(expected.length, actual.length);
        for (int j = 0; j < expected.length; j++) {
            double e = expected[j];
            assertEquals(e, actual[j], relTol * Math.abs(e) + Double.MIN_NORMAL, what + " at " + j);
        }
    }

    @Test
    void gibbsRowIsTheScalarPolynomialExpAndWithinTwoUlpOfMathExp() {
        assumeVector();
        Random rnd = new Random(11);
        for (int m : new int[] {1, 7, 8, 9, 63, 256, 1001}) {
            double[] c = new double[m + 5];
            for (int j = 0; j < c.length; j++) {
                c[j] = rnd.nextDouble() * (rnd.nextBoolean() ? 1 : 700);
            }
            double inr = -1.0 / 0.013;
            double[] k = new double[m];
            double[] acc = new double[m];
            double[] acc0 = new double[m];
            for (int j = 0; j < m; j++) {
                acc[j] = rnd.nextDouble();
                acc0[j] = acc[j];
            }
            VectorKernels.gibbsRow(c, 5, inr, k, m, 0.3, acc);
            for (int j = 0; j < m; j++) {
                double x = c[5 + j] * inr;
                double e = Math.exp(x);
                // lanes and tail compute exactly VectorKernels.exp(double): same bits interpreted or compiled
                assertEquals(Double.doubleToRawLongBits(VectorKernels.exp(x)), Double.doubleToRawLongBits(k[j]), "lane " + j);
                assertTrue(Math.abs(k[j] - e) <= 2 * Math.ulp(e), () -> "exp(" + x + ") differs by more than 2 ulp");
                assertEquals(acc0[j] + 0.3 * k[j], acc[j], 1e-15 * acc[j]);
            }
            double[] k2 = new double[m];
            VectorKernels.gibbsRow(c, 5, inr, k2, m, 0, null);
            assertArrayEquals(k, k2, 0.0);
        }
    }

    @Test
    void polynomialExpHandlesTheWholeRange() {
        assumeVector();
        double[] xs = {0.0, -0.0, 1e-300, -1e-300, 1.0, -1.0, 0.5 * Math.log(2), 709.78, 709.79, 710, 1e300, -700, -708.5, -720,
            -740, -745.1, -745.2, -746, -1e300, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY};
        double[] out = new double[xs.length];
        VectorKernels.gibbsRow(xs, 0, 1.0, out, xs.length, 0, null);
        for (int q = 0; q < xs.length; q++) {
            double e = Math.exp(xs[q]);
            double g = VectorKernels.exp(xs[q]);
            assertEquals(Double.doubleToRawLongBits(g), Double.doubleToRawLongBits(out[q]), "lane vs scalar at " + xs[q]);
            if (Double.isNaN(e) || Double.isInfinite(e) || e == 0) {
                assertEquals(e, g, 0.0, "exp(" + xs[q] + ")");
            } else {
                assertTrue(Math.abs(g - e) <= 2 * Math.ulp(e), "exp(" + xs[q] + ") = " + g + ", Math.exp " + e);
            }
        }
        Random rnd = new Random(15);
        for (int q = 0; q < 200_000; q++) {
            double x = -745 + 1454 * rnd.nextDouble();
            double e = Math.exp(x);
            assertTrue(Math.abs(VectorKernels.exp(x) - e) <= 2 * Math.ulp(e), "exp(" + x + ")");
        }
    }

    @Test
    void rowKernelsMatchScalarArithmetic() {
        assumeVector();
        Random rnd = new Random(12);
        double[] t = new double[VectorKernels.lanes()];
        for (int m : new int[] {1, 5, 8, 13, 64, 257, 1000}) {
            double[][] k = new double[9][m];
            double[] v = new double[m];
            double[] u = new double[9];
            for (int j = 0; j < m; j++) {
                v[j] = rnd.nextDouble();
                for (double[] row : k) {
                    row[j] = rnd.nextDouble();
                }
            }
            for (int r = 0; r < 9; r++) {
                u[r] = rnd.nextDouble();
            }
            // dot8 / dot against Par.dot (positive data: relative error bounded by ~m eps)
            double[] s = new double[8];
            VectorKernels.dot8(k, 1, v, m, s, t);
            for (int r = 0; r < 8; r++) {
                double e = Par.dot(k[1 + r], v, m);
                assertEquals(e, s[r], 1e-13 * e, "dot8 row " + r);
                assertEquals(s[r], VectorKernels.dot(k[1 + r], v, m, t), 1e-13 * e, "dot row " + r);
            }
            // axpy8 / axpy against Par.axpy
            double[] acc = new double[m];
            double[] ref = new double[m];
            for (int j = 0; j < m; j++) {
                acc[j] = rnd.nextDouble();
                ref[j] = acc[j];
            }
            double[] acc1 = acc.clone();
            VectorKernels.axpy8(k, 1, u, m, acc);
            for (int r = 1; r < 9; r++) {
                Par.axpy(u[r], k[r], ref, m);
                VectorKernels.axpy(u[r], k[r], acc1, m);
            }
            assertClose(ref, acc, 1e-14, "axpy8");
            assertClose(ref, acc1, 1e-14, "axpy");
            // planRow against the scalar plan row
            double[] c = new double[m + 3];
            for (int j = 0; j < c.length; j++) {
                c[j] = rnd.nextDouble();
            }
            double[] plan = new double[m + 3];
            double[] out = new double[2];
            VectorKernels.planRow(u[0], k[0], v, c, 3, plan, m, out, t);
            double rs = 0;
            double ro = 0;
            for (int j = 0; j < m; j++) {
                double p = u[0] * k[0][j] * v[j];
                assertEquals(p, plan[3 + j], 0.0, "plan entry " + j);
                rs += p;
                ro += p * c[3 + j];
            }
            assertEquals(rs, out[0], 1e-13 * rs);
            assertEquals(ro, out[1], 1e-13 * ro);
        }
    }

    private static OtProblem randomProblem(long seed, int n, int m) {
        Random rnd = new Random(seed);
        return OtProblem.of(TestProblems.randomMarginal(rnd, n, false), TestProblems.randomMarginal(rnd, m, false),
                CostMatrix.of(TestProblems.euclideanCost(rnd, n, m, 16), n, m).maxNormalised());
    }

    @Test
    void expRowIsTheScalarPolynomialExpOnEveryEntry() {
        assumeVector();
        Random rnd = new Random(14);
        for (int m : new int[] {1, 7, 8, 9, 63, 256, 1001}) {
            double[] c = new double[m + 5];
            for (int j = 0; j < c.length; j++) {
                c[j] = rnd.nextDouble() * (rnd.nextBoolean() ? 1 : 800);
            }
            double inr = -1.0 / 0.013;
            double[] row = new double[m];
            VectorKernels.expRow(c, 5, inr, m, row);
            for (int j = 0; j < m; j++) {
                // lanes and tail compute exactly VectorKernels.exp(double), the function the gibbs kernels are defined by
                assertEquals(Double.doubleToRawLongBits(VectorKernels.exp(c[5 + j] * inr)), Double.doubleToRawLongBits(row[j]), "entry " + j + ", m " + m);
            }
            // the float row and its column sums: rounded once, one fused multiply-add with the rounded entry
            float[] ki = new float[m];
            double[] acc = new double[m];
            double[] ref = new double[m];
            for (int j = 0; j < m; j++) {
                acc[j] = rnd.nextDouble();
                ref[j] = acc[j];
            }
            Kernels.roundRow(row, ki, m, 0.7, acc);
            for (int j = 0; j < m; j++) {
                assertEquals((float) row[j], ki[j], 0.0f, "rounded entry " + j);
                assertEquals(Math.fma((double) (float) row[j], 0.7, ref[j]), acc[j], 0.0, "column sum " + j);
            }
        }
    }

    @Test
    void floatRowKernelsMatchDoubleArithmetic() {
        assumeVector();
        Random rnd = new Random(13);
        double[] t = new double[VectorKernels.lanes()];
        for (int m : new int[] {1, 5, 8, 13, 64, 257, 1000}) {
            float[][] k = new float[9][m];
            double[] v = new double[m];
            double[] u = new double[9];
            for (int j = 0; j < m; j++) {
                v[j] = rnd.nextDouble();
                for (float[] row : k) {
                    row[j] = rnd.nextFloat();
                }
            }
            for (int r = 0; r < 9; r++) {
                u[r] = rnd.nextDouble();
            }
            // dot4 at an offset: each row's sum of the widened entries (positive data: relative error ~ m eps)
            double[] s = {-1, -1, -1, -1, -1, -1};
            VectorKernels.dot4(k, 1, v, m, s, 2, t);
            assertEquals(-1, s[0], 0.0, "slot before the offset untouched");
            assertEquals(-1, s[1], 0.0, "slot before the offset untouched");
            for (int r = 0; r < 4; r++) {
                double e = 0;
                for (int j = 0; j < m; j++) {
                    e += (double) k[1 + r][j] * v[j];
                }
                assertEquals(e, s[2 + r], 1e-13 * e, "dot4 row " + r + ", m " + m);
            }
            // axpy4: for every column, one fused multiply-add per row, rows in order: the same bits as the scalar chain
            double[] acc = new double[m];
            for (int j = 0; j < m; j++) {
                acc[j] = rnd.nextDouble();
            }
            double[] ref = acc.clone();
            VectorKernels.axpy4(k, 1, u, m, acc);
            VectorKernels.axpy4(k, 5, u, m, acc);
            for (int j = 0; j < m; j++) {
                double x = ref[j];
                for (int r = 1; r < 9; r++) {
                    x = Math.fma(k[r][j], u[r], x);
                }
                assertEquals(x, acc[j], 0.0, "axpy4 column " + j + ", m " + m);
            }
        }
    }

    @Test
    void solversAgreeOnBothKernelSets() {
        assumeVector();
        OtProblem p = randomProblem(13, 301, 277);   // odd sizes: row and lane tails
        OtOptions o = OtOptions.defaults().withReg(0.02).withRegM(1.0).withMaxIter(3000);
        for (OtSolver s : new OtSolver[] {OtSolvers.SINKHORN, OtSolvers.SINKHORN_LOG, OtSolvers.SINKHORN_UNBALANCED}) {
            OtResult vec = s.solve(p, o);
            boolean was = Kernels.useVector(false);
            OtResult sca;
            try {
                sca = s.solve(p, o);
            } finally {
                Kernels.useVector(was);
            }
            assertEquals(sca.iterations(), vec.iterations(), s.name());
            assertEquals(sca.converged(), vec.converged(), s.name());
            assertEquals(sca.objective(), vec.objective(), 1e-12 * sca.objective(), s.name());
            assertArrayEquals(sca.plan(), vec.plan(), 1e-12 * 1e-4, s.name());   // entries ~ 1/(n m) ~ 1e-5
        }
    }

    @Test
    void scalarKernelsAreIdenticalForAnyThreadCount() {
        // the SIMD kernels are checked by SinkhornTest.resultsAreIdenticalForAnyThreadCount (the test JVM's default)
        boolean was = Kernels.useVector(false);
        try {
            Random rnd = new Random(2);
            int n = 1100;
            int m = 1001;
            OtProblem p = OtProblem.of(TestProblems.randomMarginal(rnd, n, false), TestProblems.randomMarginal(rnd, m, false),
                    CostMatrix.of(TestProblems.randomCost(rnd, n, m), n, m));
            OtOptions o = OtOptions.defaults().withReg(0.05).withRegM(1.0).withMaxIter(200);
            for (OtSolver s : new OtSolver[] {OtSolvers.SINKHORN, OtSolvers.SINKHORN_UNBALANCED}) {
                OtResult r1 = s.solve(p, o.withThreads(1));
                OtResult r3 = s.solve(p, o.withThreads(3));
                assertArrayEquals(r1.plan(), r3.plan(), 0.0, s.name());
                assertEquals(r1.objective(), r3.objective(), 0.0);
                assertEquals(r1.iterations(), r3.iterations());
            }
        } finally {
            Kernels.useVector(was);
        }
    }

    /** Entry point for {@link #solversWorkWithoutTheVectorModule}: prints the kernels in use and one objective. */
    public static void main(String[] args) {
        OtResult r = OtSolvers.sinkhorn(randomProblem(14, 97, 89), 0.05);
        System.out.println(OtSolvers.kernels());
        System.out.println(Double.doubleToLongBits(r.objective()) + " " + r.iterations());
    }

    @Test
    void solversWorkWithoutTheVectorModule() throws Exception {
        Path classes = Path.of(OtSolvers.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path testClasses = Path.of(VectorKernelsTest.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
        Process proc = new ProcessBuilder(javaBin.toString(), "-Xmx256m", "-cp", classes + java.io.File.pathSeparator + testClasses,
                VectorKernelsTest.class.getName()).redirectErrorStream(true).start();
        String out = read(proc.getInputStream());
        assertTrue(proc.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, proc.exitValue(), out);
        assertTrue(out.startsWith("scalar"), out);
        String[] f = out.split("\n")[1].trim().split(" ");
        boolean was = Kernels.useVector(false);
        OtResult r;
        try {
            r = OtSolvers.sinkhorn(randomProblem(14, 97, 89), 0.05);
        } finally {
            Kernels.useVector(was);
        }
        // the same scalar arithmetic in both JVMs: identical results
        assertEquals(r.objective(), Double.longBitsToDouble(Long.parseLong(f[0])), 0.0);
        assertEquals(r.iterations(), Long.parseLong(f[1]));
    }

    private static String read(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        in.transferTo(b);
        return b.toString(StandardCharsets.UTF_8);
    }
}
