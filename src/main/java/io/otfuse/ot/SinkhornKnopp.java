package io.otfuse.ot;

/**
 * Entropic OT with exactly the semantics of POT 0.8.2 {@code ot.bregman.sinkhorn_knopp}
 * ({@code ot.sinkhorn(a, b, M, reg)}): {@code u = 1/n, v = 1/m}, {@code K = exp(-M/reg)}; per iteration
 * {@code v = b / K^T u}, {@code u = 1 / ((K/a) v)}; if {@code K^T u} has a zero or u, v have a NaN/inf the
 * previous u, v are restored and the loop stops ("numerical errors at iteration ii"); every 10th
 * iteration ({@code ii % 10 == 0}) the column-marginal error {@code ||v * (K^T u) - b||_2} is compared
 * with {@code stopThr} (default 1e-9); at most {@code numItermax} (default 1000) iterations. Returns
 * the dense plan {@code diag(u) K diag(v)} and {@code <P, M>}. (K is computed as {@code exp(M * (-1/reg))};
 * it differs from POT's {@code exp(M / -reg)} by at most {@code |M/reg|} ulp.) Under
 * {@link OtOptions#withScratchCost} K is held in float and the plan is returned in the cost array; with
 * {@link OtOptions#withFloatPlan} as well, only in float, with its marginals and entropy from the same pass.
 *
 * <p>Speed: each iteration is a single pass over K: the row products {@code K v} of one iteration and
 * the column products {@code K^T u} needed by the next are fused row by row, so the error check of POT
 * (which re-reads K) comes for free. Rows are processed in fixed blocks on all threads; partial column
 * sums are added in block order, so results are identical for any thread count.
 */
public final class SinkhornKnopp implements OtSolver {
    public static final String NAME = "sinkhorn-knopp";
    public static final int DEFAULT_MAX_ITER = 1000;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public OtResult solve(OtProblem p, OtOptions o) {
        long t0 = System.nanoTime();
        double reg = o.reg();
        if (!(reg > 0)) {
            throw new IllegalArgumentException("Sinkhorn needs reg > 0, got " + reg);
        }
        int n = p.n();
        int m = p.m();
        int threads = Kernels.threadsFor(o.threads(), p.n(), p.m());
        int passThreads = Kernels.passThreadsFor(o.threads(), p.n(), p.m());
        long maxIter = o.maxIterOr(DEFAULT_MAX_ITER);
        double stopThr = o.stopThr();
        int every = o.checkEvery();
        double[] a = p.a();
        double[] b = p.b();
        double[] u = new double[n];
        double[] v = new double[m];
        java.util.Arrays.fill(u, 1.0 / n);
        java.util.Arrays.fill(v, 1.0 / m);
        double[] uNew = new double[n];
        double[] vNew = new double[m];
        double[] ktu = new double[m];
        double[] ktuNew = new double[m];
        double[][] partial = Kernels.rows(Par.blocks(n), m);
        // under withScratchCost: float kernel (half the memory traffic per iteration), plan in the cost array
        boolean single = o.scratchCost();
        if (single && Kernels.vector()) KernelWarmup.start(); // the twinned kernels are those of the float path
        double[] c = p.cost().data();
        double[][] k = single ? null : Kernels.gibbs(c, n, m, reg, u, ktu, partial, threads);
        float[][] kf = single ? Kernels.gibbsFloat(c, n, m, reg, u, ktu, partial, threads) : null;
        Kernels.RowScale scale = (i, s) -> 1.0 / (s / a[i]);
        boolean converged = false;
        String warning = null;
        double err = Double.NaN;
        long it = 0;
        for (long ii = 0; ii < maxIter; ii++) {
            if (Kernels.anyZero(ktu)) {
                warning = "numerical errors at iteration " + ii;
                break;
            }
            Kernels.divide(b, ktu, vNew, m);
            if (single) {
                Kernels.fusedPass(kf, n, m, vNew, uNew, scale, ktuNew, partial, passThreads);
            } else {
                Kernels.fusedPass(k, n, m, vNew, uNew, scale, ktuNew, partial, passThreads);
            }
            if (!Kernels.allFinite(uNew) || !Kernels.allFinite(vNew)) {
                warning = "numerical errors at iteration " + ii;
                break;
            }
            double[] t = u;
            u = uNew;
            uNew = t;
            t = v;
            v = vNew;
            vNew = t;
            t = ktu;
            ktu = ktuNew;
            ktuNew = t;
            it = ii + 1;
            if (ii % every == 0) {
                err = Math.sqrt(Kernels.marginalSquares(v, ktu, b, m));
                if (err < stopThr) {
                    converged = true;
                    break;
                }
            }
        }
        if (!converged && warning == null) {
            warning = "Sinkhorn did not converge";
        }
        double colErr = Kernels.marginalL1(v, ktu, b, m);
        double[] or = new double[2];
        double[] plan;
        if (single && o.floatPlan()) {
            double[] rows = new double[n];
            double[] cols = new double[m];
            float[] fp = Kernels.materialiseFloatPlan(kf, c, n, m, u, v, a, threads, or, partial, rows, cols);
            double h = Kernels.sinkhornEntropy(or[0], reg, u, v, rows, cols);
            return OtResult.builder(NAME, n, m).floatPlan(fp, rows, cols, h).objective(or[0]).iterations(it).marginalError(or[1] + colErr)
                    .stopError(err).converged(converged).warning(warning).timeNanos(System.nanoTime() - t0).build();
        }
        if (single) {
            plan = Kernels.materialisePlan(kf, c, n, m, u, v, a, threads, or, c);
        } else {
            plan = Kernels.materialisePlan(k, c, n, m, u, v, a, threads, or);
            Kernels.releaseKernel(k, n, m);
        }
        return OtResult.builder(NAME, n, m).dense(plan).objective(or[0]).iterations(it).marginalError(or[1] + colErr)
                .stopError(err).converged(converged).warning(warning).timeNanos(System.nanoTime() - t0).build();
    }
}
