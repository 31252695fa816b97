package io.otfuse.ot;

/** Blocked, deterministic dense kernels shared by the Sinkhorn solvers. */
final class Kernels {
    private Kernels() {
    }

    /** Threads worth using for a pass over {@code n x m} doubles (small passes stay on the caller). */
    static int threadsFor(int threads, int n, int m) {
        return (long) n * m < (1 << 16) ? 1 : threads;
    }

    /** {@code K = exp(C / -reg)}, elementwise, in parallel (as POT: {@code exp(M / (-reg))}). */
    static double[] gibbs(double[] c, int n, int m, double reg, int threads) {
        double[] k = new double[c.length];
        double nr = -reg;
        int nb = Par.blocks(n);
        Par.forRange(threads, nb, (lo, hi) -> {
            int from = lo * Par.BLOCK_ROWS * m;
            int to = Math.min(n, hi * Par.BLOCK_ROWS) * m;
            for (int t = from; t < to; t++) {
                k[t] = Math.exp(c[t] / nr);
            }
        });
        return k;
    }

    /**
     * {@link #gibbs} fused with the first column pass: also sets {@code ktu = K^T u} for the given
     * {@code u} (per-block partial sums added in block order).
     */
    static double[] gibbs(double[] c, int n, int m, double reg, double[] u, double[] ktu, double[] partial, int threads) {
        double[] k = new double[c.length];
        double nr = -reg;
        int nb = Par.blocks(n);
        Par.forRange(threads, nb, (lo, hi) -> {
            for (int bk = lo; bk < hi; bk++) {
                int off = bk * m;
                java.util.Arrays.fill(partial, off, off + m, 0.0);
                int r1 = Math.min(n, (bk + 1) * Par.BLOCK_ROWS);
                for (int i = bk * Par.BLOCK_ROWS; i < r1; i++) {
                    int base = i * m;
                    double ui = u[i];
                    for (int j = 0; j < m; j++) {
                        double e = Math.exp(c[base + j] / nr);
                        k[base + j] = e;
                        partial[off + j] += ui * e;
                    }
                }
            }
        });
        reduceBlocks(partial, nb, m, ktu, threads);
        return k;
    }

    interface RowScale {
        /** Given row index and {@code s = K_i . v}, returns the row's new scaling {@code u_i}. */
        double apply(int i, double s);
    }

    /**
     * One fused pass over K: for every row {@code u[i] = scale(i, K_i . v)} (skipped when {@code v == null}:
     * then u is used as given), and {@code ktu = K^T u}. Partial column sums are formed per fixed row
     * block and added in block order, so the result does not depend on the thread count.
     */
    static void fusedPass(double[] k, int n, int m, double[] v, double[] u, RowScale scale, double[] ktu, double[] partial,
                          int threads) {
        int nb = Par.blocks(n);
        Par.forRange(threads, nb, (lo, hi) -> {
            for (int bk = lo; bk < hi; bk++) {
                passBlock(k, n, m, v, u, scale, partial, bk);
            }
        });
        reduceBlocks(partial, nb, m, ktu, threads);
    }

    /**
     * One block of {@link #fusedPass}: rows are taken four at a time so that {@code v} and the partial
     * column sums are read once per four rows (fewer memory operations per matrix entry).
     */
    private static void passBlock(double[] k, int n, int m, double[] v, double[] u, RowScale scale, double[] partial, int bk) {
        int off = bk * m;
        java.util.Arrays.fill(partial, off, off + m, 0.0);
        int r0 = bk * Par.BLOCK_ROWS;
        int r1 = Math.min(n, r0 + Par.BLOCK_ROWS);
        int i = r0;
        for (; i + 3 < r1; i += 4) {
            int b0 = i * m;
            int b1 = b0 + m;
            int b2 = b1 + m;
            int b3 = b2 + m;
            double u0;
            double u1;
            double u2;
            double u3;
            if (v != null) {
                double s0 = 0;
                double s1 = 0;
                double s2 = 0;
                double s3 = 0;
                for (int j = 0; j < m; j++) {
                    double vj = v[j];
                    s0 += k[b0 + j] * vj;
                    s1 += k[b1 + j] * vj;
                    s2 += k[b2 + j] * vj;
                    s3 += k[b3 + j] * vj;
                }
                u0 = scale.apply(i, s0);
                u1 = scale.apply(i + 1, s1);
                u2 = scale.apply(i + 2, s2);
                u3 = scale.apply(i + 3, s3);
                u[i] = u0;
                u[i + 1] = u1;
                u[i + 2] = u2;
                u[i + 3] = u3;
            } else {
                u0 = u[i];
                u1 = u[i + 1];
                u2 = u[i + 2];
                u3 = u[i + 3];
            }
            for (int j = 0; j < m; j++) {
                partial[off + j] += u0 * k[b0 + j] + u1 * k[b1 + j] + u2 * k[b2 + j] + u3 * k[b3 + j];
            }
        }
        for (; i < r1; i++) {
            int base = i * m;
            double ui;
            if (v != null) {
                ui = scale.apply(i, Par.dot(k, base, v, m));
                u[i] = ui;
            } else {
                ui = u[i];
            }
            Par.axpy(ui, k, base, partial, off, m);
        }
    }

    /** {@code out[j] = sum_bk partial[bk*m + j]} in block order, parallel over columns. */
    static void reduceBlocks(double[] partial, int nb, int m, double[] out, int threads) {
        int chunks = (long) nb * m < (1 << 18) ? 1 : Math.max(1, Math.min(threads, m / 256));
        Par.forRange(chunks, chunks, (lo, hi) -> {
            for (int ch = lo; ch < hi; ch++) {
                int j0 = (int) ((long) m * ch / chunks);
                int j1 = (int) ((long) m * (ch + 1) / chunks);
                System.arraycopy(partial, j0, out, j0, j1 - j0);
                for (int bk = 1; bk < nb; bk++) {
                    int off = bk * m;
                    for (int j = j0; j < j1; j++) {
                        out[j] += partial[off + j];
                    }
                }
            }
        });
    }

    /**
     * Turns K into the plan {@code P_ij = (u_i K_ij) v_j} in place and returns
     * {@code [<P, C>, sum_i |P_i 1 - a_i|]}; block sums are added in block order.
     */
    static double[] materialisePlan(double[] k, double[] c, int n, int m, double[] u, double[] v, double[] a, int threads) {
        int nb = Par.blocks(n);
        double[] obj = new double[nb];
        double[] rowErr = new double[nb];
        Par.forRange(threads, nb, (lo, hi) -> {
            for (int bk = lo; bk < hi; bk++) {
                int r1 = Math.min(n, (bk + 1) * Par.BLOCK_ROWS);
                double so = 0;
                double se = 0;
                for (int i = bk * Par.BLOCK_ROWS; i < r1; i++) {
                    int base = i * m;
                    double ui = u[i];
                    double rs = 0;
                    double ro = 0;
                    for (int j = 0; j < m; j++) {
                        double pij = ui * k[base + j] * v[j];
                        k[base + j] = pij;
                        rs += pij;
                        ro += pij * c[base + j];
                    }
                    so += ro;
                    se += Math.abs(rs - a[i]);
                }
                obj[bk] = so;
                rowErr[bk] = se;
            }
        });
        double o = 0;
        double e = 0;
        for (int bk = 0; bk < nb; bk++) {
            o += obj[bk];
            e += rowErr[bk];
        }
        return new double[] {o, e};
    }

    static boolean allFinite(double[] x) {
        for (double d : x) {
            if (!Double.isFinite(d)) {
                return false;
            }
        }
        return true;
    }

    static boolean anyZero(double[] x) {
        for (double d : x) {
            if (d == 0.0) {
                return true;
            }
        }
        return false;
    }
}
