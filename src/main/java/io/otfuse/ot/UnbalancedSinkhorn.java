package io.otfuse.ot;

/**
 * Unbalanced entropic OT with KL marginal relaxation, with the semantics of POT 0.8.2
 * {@code ot.unbalanced.sinkhorn_knopp_unbalanced} ({@code ot.sinkhorn_unbalanced(a, b, M, reg, reg_m)}):
 * {@code fi = reg_m / (reg_m + reg)}, {@code u = 1/n, v = 1/m}; per iteration {@code u = (a / K v)^fi},
 * {@code v = (b / K^T u)^fi}; revert and stop on a zero in {@code K^T u} or NaN/inf; stop when
 * {@code 0.5 (max|du| / max(|u|,|u_prev|,1) + max|dv| / max(|v|,|v_prev|,1)) < stopThr}
 * (default 1e-6), at most 1000 iterations. Objective reported: the transport term {@code <P, M>}.
 * Marginals need not have equal mass ({@link OtProblem#unbalanced}).
 */
public final class UnbalancedSinkhorn implements OtSolver {
    public static final String NAME = "sinkhorn-unbalanced";
    public static final double DEFAULT_STOP_THR = 1e-6;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public OtResult solve(OtProblem p, OtOptions o) {
        long t0 = System.nanoTime();
        double reg = o.reg();
        double regM = o.regM();
        if (!(reg > 0) || !(regM > 0)) {
            throw new IllegalArgumentException("unbalanced Sinkhorn needs reg > 0 and reg_m > 0, got " + reg + ", " + regM);
        }
        int n = p.n();
        int m = p.m();
        int threads = Kernels.threadsFor(o.threads(), p.n(), p.m());
        int passThreads = Kernels.passThreadsFor(o.threads(), p.n(), p.m());
        long maxIter = o.maxIterOr(SinkhornKnopp.DEFAULT_MAX_ITER);
        double stopThr = o.stopThr() == OtOptions.DEFAULT.stopThr() ? DEFAULT_STOP_THR : o.stopThr();
        double[] a = p.a();
        double[] b = p.b();
        double fi = regM / (regM + reg);
        double[][] partial = Kernels.rows(Par.blocks(n), m);
        double[][] k = Kernels.gibbs(p.cost().data(), n, m, reg, null, null, partial, threads);
        double[] u = new double[n];
        double[] v = new double[m];
        java.util.Arrays.fill(u, 1.0 / n);
        java.util.Arrays.fill(v, 1.0 / m);
        double[] uNew = new double[n];
        double[] vNew = new double[m];
        double[] ktu = new double[m];
        Kernels.RowScale scale = (i, s) -> Math.pow(a[i] / s, fi);
        boolean converged = false;
        String warning = null;
        double err = Double.NaN;
        long it = 0;
        for (long ii = 0; ii < maxIter; ii++) {
            Kernels.fusedPass(k, n, m, v, uNew, scale, ktu, partial, passThreads);
            for (int j = 0; j < m; j++) {
                vNew[j] = Math.pow(b[j] / ktu[j], fi);
            }
            if (Kernels.anyZero(ktu) || !Kernels.allFinite(uNew) || !Kernels.allFinite(vNew)) {
                warning = "numerical errors at iteration " + ii;
                break;
            }
            double errU = maxAbsDiff(uNew, u) / Math.max(Math.max(maxAbs(uNew), maxAbs(u)), 1.0);
            double errV = maxAbsDiff(vNew, v) / Math.max(Math.max(maxAbs(vNew), maxAbs(v)), 1.0);
            double[] t = u;
            u = uNew;
            uNew = t;
            t = v;
            v = vNew;
            vNew = t;
            it = ii + 1;
            err = 0.5 * (errU + errV);
            if (err < stopThr) {
                converged = true;
                break;
            }
        }
        if (!converged && warning == null) {
            warning = "Sinkhorn did not converge";
        }
        double[] or = new double[2];
        double[] plan = Kernels.materialisePlan(k, p.cost().data(), n, m, u, v, a, threads, or);
        double[] colSum = new double[m];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < m; j++) {
                colSum[j] += plan[i * m + j];
            }
        }
        double colErr = 0;
        for (int j = 0; j < m; j++) {
            colErr += Math.abs(colSum[j] - b[j]);
        }
        return OtResult.builder(NAME, n, m).dense(plan).objective(or[0]).iterations(it).marginalError(or[1] + colErr)
                .stopError(err).converged(converged).warning(warning).timeNanos(System.nanoTime() - t0).build();
    }

    private static double maxAbs(double[] x) {
        double mx = 0;
        for (double d : x) {
            mx = Math.max(mx, Math.abs(d));
        }
        return mx;
    }

    private static double maxAbsDiff(double[] x, double[] y) {
        double mx = 0;
        for (int i = 0; i < x.length; i++) {
            mx = Math.max(mx, Math.abs(x[i] - y[i]));
        }
        return mx;
    }
}
