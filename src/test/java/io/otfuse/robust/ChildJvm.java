package io.otfuse.robust;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Runs {@code io.otfuse.cli.Main} (or another main) in a child JVM with the test class path. */
final class ChildJvm {
    private ChildJvm() {}

    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** The command line: [prefix...] java [jvmOptions...] -cp CP main [args...]. */
    static List<String> command(List<String> prefix, List<String> jvmOptions, String main, List<String> args) {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.add(java());
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(main);
        cmd.addAll(args);
        return cmd;
    }

    static Process start(List<String> cmd, Path log) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("DJL_OFFLINE", "true");
        return pb.start();
    }

    record Run(int code, String output, long peakRssKb, long peakAnonKb, double seconds) {}

    /** Runs to completion, sampling the child's peak RSS (VmHWM) and peak anonymous RSS every 50 ms. */
    static Run run(List<String> cmd, Path log, long timeoutSeconds) throws Exception {
        long t0 = System.nanoTime();
        Process p = start(cmd, log);
        long hwm = 0, anon = 0;
        long deadline = t0 + timeoutSeconds * 1_000_000_000L;
        while (p.isAlive()) {
            long[] r = rss(p.pid());
            hwm = Math.max(hwm, r[0]);
            anon = Math.max(anon, r[1]);
            if (System.nanoTime() > deadline) {
                p.destroyForcibly();
                throw new AssertionError("child timed out after " + timeoutSeconds + " s: " + cmd);
            }
            Thread.sleep(50);
        }
        return new Run(p.waitFor(), Files.readString(log), hwm, anon, (System.nanoTime() - t0) / 1e9);
    }

    /** {VmHWM, RssAnon} in kB of a live process (0 when gone). */
    static long[] rss(long pid) {
        long hwm = 0, anon = 0;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmHWM:")) hwm = kb(line);
                if (line.startsWith("RssAnon:")) anon = kb(line);
            }
        } catch (IOException e) {
            // exited
        }
        return new long[] {hwm, anon};
    }

    private static long kb(String line) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
    }
}
