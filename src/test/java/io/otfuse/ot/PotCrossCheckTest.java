package io.otfuse.ot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Compares with POT 0.8.2 itself (Debian's /usr/bin/python3 with python3-pot, installed by ./test):
 * ot.emd on non-uniform rectangular problems, ot.sinkhorn and ot.sinkhorn_unbalanced on random problems.
 */
class PotCrossCheckTest {
    private static final Path PY = Path.of("/usr/bin/python3");

    private static boolean potAvailable() {
        if (!Files.isExecutable(PY)) {
            return false;
        }
        try {
            Process p = new ProcessBuilder(PY.toString(), "-c", "import ot, numpy").redirectErrorStream(true).start();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    private static String vec(double[] x) {
        StringBuilder sb = new StringBuilder();
        for (double d : x) {
            sb.append(String.format(Locale.ROOT, "%.17g ", d));
        }
        return sb.toString().trim();
    }

    @Test
    void objectivesAgreeWithPotToOneEMinus9() throws Exception {
        assumeTrue(potAvailable(), "needs /usr/bin/python3 with python3-pot (./test installs it)");
        Random rnd = new Random(42);
        List<OtProblem> problems = new ArrayList<>();
        List<String> kinds = new ArrayList<>();
        int[][] sizes = {{7, 11}, {40, 25}, {90, 130}};
        for (int[] s : sizes) {
            int n = s[0];
            int m = s[1];
            CostMatrix c = CostMatrix.of(TestProblems.euclideanCost(rnd, n, m, 5), n, m);
            problems.add(OtProblem.of(TestProblems.randomMarginal(rnd, n, true), TestProblems.randomMarginal(rnd, m, false), c));
            kinds.add("emd");
            problems.add(OtProblem.of(TestProblems.randomMarginal(rnd, n, false), TestProblems.randomMarginal(rnd, m, false),
                    c.maxNormalised()));
            kinds.add("sinkhorn");
            problems.add(OtProblem.unbalanced(TestProblems.randomMarginal(rnd, n, false), times(TestProblems.randomMarginal(rnd, m, false), 1.7),
                    c.maxNormalised()));
            kinds.add("unbalanced");
        }
        Path dir = Files.createTempDirectory("otfuse-pot");
        StringBuilder in = new StringBuilder();
        for (int k = 0; k < problems.size(); k++) {
            OtProblem p = problems.get(k);
            in.append(kinds.get(k)).append(' ').append(p.n()).append(' ').append(p.m()).append('\n');
            in.append(vec(p.a())).append('\n').append(vec(p.b())).append('\n').append(vec(p.cost().data())).append('\n');
        }
        Files.writeString(dir.resolve("in.txt"), in.toString());
        String script = String.join("\n",
                "import numpy as np, ot, sys, warnings",
                "warnings.simplefilter('ignore')",
                "L = open(sys.argv[1]).read().split('\\n')",
                "k = 0",
                "while k + 3 < len(L) and L[k]:",
                "    kind, n, m = L[k].split(); n = int(n); m = int(m)",
                "    a = np.array(L[k+1].split(), float); b = np.array(L[k+2].split(), float)",
                "    M = np.array(L[k+3].split(), float).reshape(n, m); k += 4",
                "    if kind == 'emd': G = ot.emd(a, b, M, numItermax=10**8)",
                "    elif kind == 'sinkhorn': G = ot.sinkhorn(a, b, M, 0.05)",
                "    else: G = ot.sinkhorn_unbalanced(a, b, M, 0.05, 0.5)",
                "    print('%.17g' % float((G * M).sum()))");
        Files.writeString(dir.resolve("run.py"), script);
        Process proc = new ProcessBuilder(PY.toString(), dir.resolve("run.py").toString(), dir.resolve("in.txt").toString())
                .redirectErrorStream(true).start();
        String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        proc.waitFor(120, TimeUnit.SECONDS);
        assertEquals(0, proc.exitValue(), out);
        String[] lines = out.trim().split("\\s+");
        assertEquals(problems.size(), lines.length, out);
        for (int k = 0; k < problems.size(); k++) {
            OtProblem p = problems.get(k);
            double ref = Double.parseDouble(lines[k]);
            OtResult r;
            switch (kinds.get(k)) {
                case "emd":
                    r = OtSolvers.exact(p);
                    break;
                case "sinkhorn":
                    r = OtSolvers.sinkhorn(p, 0.05);
                    break;
                default:
                    r = OtSolvers.sinkhornUnbalanced(p, 0.05, 0.5);
            }
            assertEquals(ref, r.objective(), 1e-9 * Math.abs(ref), kinds.get(k) + " " + p.n() + "x" + p.m());
        }
    }

    private static double[] times(double[] x, double s) {
        double[] y = x.clone();
        for (int i = 0; i < y.length; i++) {
            y[i] *= s;
        }
        return y;
    }
}
