package io.otfuse.ot;

import java.util.Random;

/** Random problem generators shared by the tests. */
final class TestProblems {
    private TestProblems() {
    }

    static double[] randomCost(Random rnd, int n, int m) {
        double[] c = new double[n * m];
        for (int k = 0; k < c.length; k++) {
            c[k] = rnd.nextDouble();
        }
        return c;
    }

    /** Euclidean distances between Gaussian points in dimension d. */
    static double[] euclideanCost(Random rnd, int n, int m, int d) {
        double[][] x = new double[n][d];
        double[][] y = new double[m][d];
        for (double[] r : x) {
            for (int k = 0; k < d; k++) {
                r[k] = rnd.nextGaussian();
            }
        }
        for (double[] r : y) {
            for (int k = 0; k < d; k++) {
                r[k] = rnd.nextGaussian();
            }
        }
        double[] c = new double[n * m];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < m; j++) {
                double s = 0;
                for (int k = 0; k < d; k++) {
                    double t = x[i][k] - y[j][k];
                    s += t * t;
                }
                c[i * m + j] = Math.sqrt(s);
            }
        }
        return c;
    }

    /** Positive weights summing to 1, optionally with some zeros. */
    static double[] randomMarginal(Random rnd, int n, boolean zeros) {
        double[] w = new double[n];
        double s = 0;
        for (int i = 0; i < n; i++) {
            w[i] = zeros && rnd.nextInt(5) == 0 ? 0.0 : 0.05 + rnd.nextDouble();
            s += w[i];
        }
        if (s == 0) {
            w[0] = 1;
            s = 1;
        }
        for (int i = 0; i < n; i++) {
            w[i] /= s;
        }
        return w;
    }

    static double[] rowSums(double[] p, int n, int m) {
        double[] r = new double[n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < m; j++) {
                r[i] += p[i * m + j];
            }
        }
        return r;
    }

    static double[] colSums(double[] p, int n, int m) {
        double[] c = new double[m];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < m; j++) {
                c[j] += p[i * m + j];
            }
        }
        return c;
    }

    static double dot(double[] p, double[] c) {
        double s = 0;
        for (int k = 0; k < p.length; k++) {
            s += p[k] * c[k];
        }
        return s;
    }
}
