package io.otfuse.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs Debian's python3 (with numpy, scipy, POT, torch from the test script's packages). */
public final class Python {
    private Python() {}

    public static final Path EXE = Path.of("/usr/bin/python3");

    /** Runs a script from the test resources with arguments; returns stdout; fails with stderr. */
    public static String run(String resource, String... args) throws IOException, InterruptedException {
        Path script = Path.of(System.getProperty("otfuse.repo", "."), "src/test/resources", resource);
        List<String> cmd = new ArrayList<>();
        cmd.add(EXE.toString());
        cmd.add(script.toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        Path err = Files.createTempFile("py", ".err");
        pb.redirectError(err.toFile());
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(resource + " timed out");
        }
        String e = Files.readString(err);
        Files.deleteIfExists(err);
        if (p.exitValue() != 0) throw new AssertionError(resource + " failed (" + p.exitValue() + "):\n" + e);
        return new String(out, StandardCharsets.UTF_8);
    }
}
