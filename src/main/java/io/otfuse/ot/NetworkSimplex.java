package io.otfuse.ot;

/**
 * Exact OT for general marginals (the problem of POT's {@code ot.emd}): a primal network simplex on the
 * complete bipartite graph, after the LEMON / Bonneel et al. (2011) design that POT uses, re-implemented:
 *
 * <ul>
 *   <li>an artificial root joined to every node by an artificial arc of cost
 *       {@code (max|C| + 1)(n + m)} gives the initial strongly feasible spanning tree;</li>
 *   <li>block-search pivoting ({@code sqrt(nm)} arcs per block) picks the entering arc;</li>
 *   <li>the leaving arc is chosen by the strongly-feasible-tree rule (Cunningham), which prevents cycling
 *       on degenerate problems;</li>
 *   <li>the tree is stored with parent pointers, depths and child lists; after a pivot only the moved
 *       subtree's potentials and depths are updated.</li>
 * </ul>
 *
 * There is no pivot limit by default (POT's 100000 is too small for 3072 x 3072); with
 * {@link OtOptions#withMaxIter} set, hitting the cap returns the current (feasible, non-optimal)
 * plan with {@code converged = false} and POT's warning text.
 */
public final class NetworkSimplex implements OtSolver {
    public static final String NAME = "network-simplex";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public OtResult solve(OtProblem p, OtOptions o) {
        long t0 = System.nanoTime();
        p.cost().requireFinite();
        State s = new State(p);
        long cap = o.maxIter() > 0 ? o.maxIter() : Long.MAX_VALUE;
        boolean optimal = s.run(cap);
        OtResult.Builder rb = s.result(p);
        rb.converged(optimal);
        if (!optimal) {
            rb.warning("numItermax reached before optimality");
        }
        OtResult res = rb.timeNanos(System.nanoTime() - t0).build();
        if (o.certify() && optimal) {
            OptimalityCertificate.check(p, res).requireOptimal(1e-9);
        }
        return res;
    }

    private static final class State {
        final int n;
        final int m;
        final int nodes;     // n + m real nodes; root = nodes
        final int root;
        final long nm;
        final double[] c;
        final double art;
        final double eps;
        final double[] flow;  // real arcs [0, nm), artificial arcs nm + node
        final boolean[] artUp; // artificial arc of node k points k -> root
        final int[] parent;
        final long[] pred;
        final boolean[] predUp; // pred arc points node -> parent
        final int[] depth;
        final double[] pi;
        final int[] firstChild;
        final int[] nextSib;
        final int[] prevSib;
        final int[] stack;
        final int[] pathNodes;
        final long[] pathArcs;
        final boolean[] pathUp;
        long iterations;
        final int blockSize;
        long nextArc;

        State(OtProblem p) {
            n = p.n();
            m = p.m();
            nodes = n + m;
            root = nodes;
            nm = (long) n * m;
            c = p.cost().data();
            double maxAbs = p.cost().maxAbs();
            art = (maxAbs + 1.0) * nodes;
            // reduced costs involve potentials of size ~art: allow for their rounding
            eps = 64 * Math.ulp(art) + 1e-14 * maxAbs;
            flow = new double[(int) (nm + nodes)];
            artUp = new boolean[nodes];
            parent = new int[nodes + 1];
            pred = new long[nodes + 1];
            predUp = new boolean[nodes + 1];
            depth = new int[nodes + 1];
            pi = new double[nodes + 1];
            firstChild = new int[nodes + 1];
            nextSib = new int[nodes + 1];
            prevSib = new int[nodes + 1];
            stack = new int[nodes + 1];
            pathNodes = new int[nodes + 1];
            pathArcs = new long[nodes + 1];
            pathUp = new boolean[nodes + 1];
            java.util.Arrays.fill(firstChild, -1);
            parent[root] = -1;
            pred[root] = -1;
            depth[root] = 0;
            pi[root] = 0;
            double[] a = p.a();
            double[] b = p.b();
            for (int k = 0; k < nodes; k++) {
                double supply = k < n ? a[k] : -b[k - n];
                long arc = nm + k;
                parent[k] = root;
                pred[k] = arc;
                depth[k] = 1;
                if (supply > 0) {            // k -> root carries the supply
                    artUp[k] = true;
                    predUp[k] = true;
                    flow[(int) arc] = supply;
                    pi[k] = art;              // rc = art - pi[k] + pi[root] = 0
                } else {                      // root -> k carries the demand (or 0)
                    artUp[k] = false;
                    predUp[k] = false;
                    flow[(int) arc] = -supply;
                    pi[k] = -art;             // rc = art - pi[root] + pi[k] = 0
                }
                addChild(root, k);
            }
            blockSize = (int) Math.max(10, Math.min(nm, (long) Math.sqrt((double) nm)));
            nextArc = 0;
        }

        void addChild(int par, int ch) {
            int fc = firstChild[par];
            nextSib[ch] = fc;
            prevSib[ch] = -1;
            if (fc >= 0) {
                prevSib[fc] = ch;
            }
            firstChild[par] = ch;
        }

        void removeChild(int par, int ch) {
            int ps = prevSib[ch];
            int ns = nextSib[ch];
            if (ps >= 0) {
                nextSib[ps] = ns;
            } else {
                firstChild[par] = ns;
            }
            if (ns >= 0) {
                prevSib[ns] = ps;
            }
        }

        int src(long e) {
            if (e < nm) {
                return (int) (e / m);
            }
            int k = (int) (e - nm);
            return artUp[k] ? k : root;
        }

        int tgt(long e) {
            if (e < nm) {
                return n + (int) (e % m);
            }
            int k = (int) (e - nm);
            return artUp[k] ? root : k;
        }

        double cost(long e) {
            return e < nm ? c[(int) e] : art;
        }

        /** Block search over real arcs; returns the entering arc or -1 when optimal. */
        long findEntering() {
            double min = 0;
            long best = -1;
            int cnt = 0;
            long e = nextArc;
            int i = (int) (e / m);
            int j = (int) (e % m);
            double pii = pi[i];
            for (long scanned = 0; scanned < nm; scanned++) {
                double rc = c[(int) e] - pii + pi[n + j];
                if (rc < min) {
                    min = rc;
                    best = e;
                }
                e++;
                if (++j == m) {
                    j = 0;
                    if (++i == n) {
                        i = 0;
                        e = 0;
                    }
                    pii = pi[i];
                }
                if (++cnt == blockSize) {
                    if (min < -eps) {
                        nextArc = e;
                        return best;
                    }
                    cnt = 0;
                }
            }
            if (min < -eps) {
                nextArc = e;
                return best;
            }
            return -1;
        }

        boolean run(long cap) {
            while (true) {
                long e = findEntering();
                if (e < 0) {
                    return true;
                }
                if (iterations >= cap) {
                    return false;
                }
                iterations++;
                pivot(e);
            }
        }

        void pivot(long e) {
            int x = src(e);
            int y = tgt(e);
            double rc = cost(e) - pi[x] + pi[y];
            // join node
            int u1 = x;
            int u2 = y;
            while (u1 != u2) {
                if (depth[u1] > depth[u2]) {
                    u1 = parent[u1];
                } else if (depth[u2] > depth[u1]) {
                    u2 = parent[u2];
                } else {
                    u1 = parent[u1];
                    u2 = parent[u2];
                }
            }
            int join = u1;
            // leaving arc: last blocking arc along the cycle oriented from the join node
            double delta = Double.POSITIVE_INFINITY;
            int uOut = -1;
            boolean firstSide = true;
            for (int u = x; u != join; u = parent[u]) {
                if (predUp[u]) {
                    double f = flow[(int) pred[u]];
                    if (f < delta) {
                        delta = f;
                        uOut = u;
                        firstSide = true;
                    }
                }
            }
            for (int u = y; u != join; u = parent[u]) {
                if (!predUp[u]) {
                    double f = flow[(int) pred[u]];
                    if (f <= delta) {
                        delta = f;
                        uOut = u;
                        firstSide = false;
                    }
                }
            }
            if (uOut < 0) {
                throw new IllegalStateException("unbounded pivot (negative cycle of infinite capacity)");
            }
            // flow update
            if (delta > 0) {
                flow[(int) e] += delta;
                for (int u = x; u != join; u = parent[u]) {
                    flow[(int) pred[u]] += predUp[u] ? -delta : delta;
                }
                for (int u = y; u != join; u = parent[u]) {
                    flow[(int) pred[u]] += predUp[u] ? delta : -delta;
                }
            }
            // tree update: detach uOut's subtree, re-root it at uIn, hang it under vIn via e
            int uIn = firstSide ? x : y;
            int vIn = firstSide ? y : x;
            int len = 0;
            for (int u = uIn; ; u = parent[u]) {
                pathNodes[len] = u;
                pathArcs[len] = pred[u];
                pathUp[len] = predUp[u];
                len++;
                if (u == uOut) {
                    break;
                }
            }
            for (int t = len - 1; t >= 0; t--) {
                int u = pathNodes[t];
                removeChild(parent[u], u);
            }
            for (int t = 0; t + 1 < len; t++) {
                int ch = pathNodes[t + 1];
                int par = pathNodes[t];
                parent[ch] = par;
                pred[ch] = pathArcs[t];
                predUp[ch] = !pathUp[t];
                addChild(par, ch);
            }
            parent[uIn] = vIn;
            pred[uIn] = e;
            predUp[uIn] = uIn == x;
            addChild(vIn, uIn);
            // potentials and depths of the moved subtree
            double shift = firstSide ? rc : -rc;
            int sp = 0;
            depth[uIn] = depth[vIn] + 1;
            pi[uIn] += shift;
            stack[sp++] = uIn;
            while (sp > 0) {
                int u = stack[--sp];
                int du = depth[u] + 1;
                for (int ch = firstChild[u]; ch >= 0; ch = nextSib[ch]) {
                    depth[ch] = du;
                    pi[ch] += shift;
                    stack[sp++] = ch;
                }
            }
        }

        OtResult.Builder result(OtProblem p) {
            // non-zero flows are on tree arcs only
            int cnt = 0;
            for (int k = 0; k < nodes; k++) {
                long e = pred[k];
                if (e < nm && flow[(int) e] > 0) {
                    cnt++;
                }
            }
            int[] ri = new int[cnt];
            int[] ci = new int[cnt];
            double[] w = new double[cnt];
            double obj = 0;
            int t = 0;
            for (int k = 0; k < nodes; k++) {
                long e = pred[k];
                if (e < nm && flow[(int) e] > 0) {
                    ri[t] = (int) (e / m);
                    ci[t] = (int) (e % m);
                    w[t] = flow[(int) e];
                    obj += w[t] * c[(int) e];
                    t++;
                }
            }
            double[] f = new double[n];
            double[] g = new double[m];
            for (int i = 0; i < n; i++) {
                f[i] = pi[i];
            }
            for (int j = 0; j < m; j++) {
                g[j] = -pi[n + j];
            }
            OtResult.Builder rb = OtResult.builder(NAME, n, m).sparse(ri, ci, w).objective(obj).iterations(iterations);
            // marginal error of the returned plan
            double[] rs = new double[n];
            double[] cs = new double[m];
            for (int k = 0; k < cnt; k++) {
                rs[ri[k]] += w[k];
                cs[ci[k]] += w[k];
            }
            double err = 0;
            for (int i = 0; i < n; i++) {
                err += Math.abs(rs[i] - p.a()[i]);
            }
            for (int j = 0; j < m; j++) {
                err += Math.abs(cs[j] - p.b()[j]);
            }
            AssignmentSolver.center(f, g, p.a(), p.b());
            return rb.duals(f, g).marginalError(err).stopError(0.0);
        }
    }
}
