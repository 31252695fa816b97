package io.otfuse.robust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real full disk: the child runs in its own mount namespace ({@code unshare --mount}) with a small tmpfs as the
 * output's parent. The run must end with one line, exit code 9, and the tmpfs must be empty afterwards.
 */
class DiskFullTest {
    @TempDir
    static Path tmp;
    static Path model;

    @BeforeAll
    static void model() {
        model = BigModels.write(tmp.resolve("m"), BigModels.config(4, 256, 1024), 1); // ~13 MB
    }

    static String runInTmpfs(String size, List<String> jvm, List<String> args, Path log) throws Exception {
        Path mnt = Files.createDirectories(tmp.resolve("mnt-" + size));
        String cmd = String.join(" ", ChildJvm.command(List.of(), jvm, "io.otfuse.cli.Main", args).stream().map(DiskFullTest::q).toList());
        String script = "mount -t tmpfs -o size=" + size + " tmpfs " + q(mnt.toString()) + " || exit 99; " + cmd + "; rc=$?; echo \"rc=$rc\"; echo \"left:$(ls -A " + q(mnt.toString()) + " | tr '\\n' ' ')\"";
        Process p = new ProcessBuilder("unshare", "--mount", "sh", "-c", script).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), Files.readString(log));
        return Files.readString(log).replace(mnt.toString(), "MNT");
    }

    static String q(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    static void assertCleanFailure(String log) {
        assertTrue(log.contains("rc=9"), log);
        assertTrue(log.contains("left:\n") || log.contains("left: \n") || log.strip().endsWith("left:"), "nothing left on the full disk: " + log);
        List<String> errors = log.lines().filter(l -> l.startsWith("otfuse: ")).toList();
        assertEquals(1, errors.size(), log);
        assertTrue(errors.get(0).contains("No space left on device") && errors.get(0).contains("nothing was left behind"), errors.get(0));
        assertFalse(log.contains("\tat ") || log.contains("Exception"), log);
    }

    @Test
    void permuteOntoAFullDisk() throws Exception {
        String log = runInTmpfs("4m", List.of("-Xmx256m"), List.of("permute", model.toString(), "--out", tmp.resolve("mnt-4m").resolve("out").toString()),
                tmp.resolve("permute.log"));
        System.out.println("disk full (permute, 13 MB into a 4 MB tmpfs): " + log.lines().filter(l -> l.startsWith("otfuse:")).findFirst().orElse(""));
        assertCleanFailure(log);
    }

    @Test
    void fuseSpillingOntoAFullDisk() throws Exception {
        String log = runInTmpfs("6m", List.of("-Xmx256m", "-Dotfuse.spill=always"),
                List.of("fuse", model.toString(), model.toString(), "--out", tmp.resolve("mnt-6m").resolve("out").toString()), tmp.resolve("fuse.log"));
        System.out.println("disk full (fuse with spill, 13 MB into a 6 MB tmpfs): " + log.lines().filter(l -> l.startsWith("otfuse:")).findFirst().orElse(""));
        assertCleanFailure(log);
    }
}
