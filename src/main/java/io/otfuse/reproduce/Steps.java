package io.otfuse.reproduce;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.otfuse.io.AtomicFiles;
import io.otfuse.io.ExitCode;
import io.otfuse.io.OtfuseException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Resumable steps of a study. Every step writes its result as {@code DIR/steps/ID.json} (atomically, when it has
 * finished); a step whose file exists is not run again, so an interrupted study continues where it stopped. A file
 * that cannot be parsed (it never should: writes are atomic) is set aside as {@code ID.json.bad} and the step reruns.
 */
public final class Steps {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9._-]*");

    private final Path root;
    private final PrintStream log;
    private final long start = System.nanoTime();
    private int ran, reused, failed;

    public Steps(Path root, PrintStream log) {
        this.root = root;
        this.log = log;
    }

    public Path dir() {
        return root;
    }

    /** Where the result of step {@code id} is kept. */
    public Path file(String id) {
        if (!ID.matcher(id).matches()) throw new IllegalArgumentException("bad step id '" + id + "'");
        return root.resolve("steps").resolve(id + ".json");
    }

    /** The stored result of a finished step, or null. */
    public ObjectNode stored(String id) {
        Path f = file(id);
        if (!Files.isRegularFile(f)) return null;
        try {
            JsonNode n = JSON.readTree(Files.readAllBytes(f));
            if (n instanceof ObjectNode o) return o;
        } catch (IOException e) {
            // fall through: set aside and rerun
        }
        try {
            Files.move(f, f.resolveSibling(f.getFileName() + ".bad"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new OtfuseException(ExitCode.IO_FAILURE, f + ": unreadable step result and cannot move it aside (" + e.getMessage() + ")", e);
        }
        log.printf("  %s: unreadable result set aside as %s.bad; running it again%n", id, f.getFileName());
        return null;
    }

    /** Runs step {@code id} unless its result is stored; stores and returns the result. Failures propagate. */
    public ObjectNode run(String id, String title, Supplier<ObjectNode> work) {
        ObjectNode s = stored(id);
        if (s != null) {
            reused++;
            log.printf("%s [done earlier] %s: %s%n", clock(), id, title);
            return s;
        }
        log.printf("%s [running] %s: %s%n", clock(), id, title);
        long t0 = System.nanoTime();
        ObjectNode r;
        try {
            r = work.get();
        } catch (RuntimeException e) {
            failed++;
            log.printf("%s [failed] %s after %.1f s: %s%n", clock(), id, (System.nanoTime() - t0) / 1e9, e.getMessage());
            throw e;
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        if (!r.has("seconds")) r.put("seconds", secs);
        try {
            Files.createDirectories(file(id).getParent());
        } catch (IOException e) {
            throw new OtfuseException(ExitCode.IO_FAILURE, file(id).getParent() + ": cannot create (" + e.getMessage() + ")", e);
        }
        AtomicFiles.writeString(file(id), r.toPrettyString() + "\n");
        ran++;
        log.printf("%s [done] %s in %.1f s%s%n", clock(), id, secs, summary(r));
        return r;
    }

    /**
     * Like {@link #run}, but a failure does not stop the study: it is logged and returned as {@code {"error": ...}}
     * without being stored, so the next run tries the step again.
     */
    public ObjectNode tryRun(String id, String title, Supplier<ObjectNode> work) {
        try {
            return run(id, title, work);
        } catch (RuntimeException e) {
            ObjectNode n = JSON.createObjectNode();
            n.put("error", String.valueOf(e.getMessage()));
            return n;
        }
    }

    private static String summary(ObjectNode r) {
        StringBuilder b = new StringBuilder();
        if (r.has("accuracy")) b.append(String.format(": accuracy %.2f %%", 100 * r.get("accuracy").asDouble()));
        if (r.has("perplexity")) b.append(String.format(": perplexity %.1f", r.get("perplexity").asDouble()));
        return b.toString();
    }

    private String clock() {
        long s = (System.nanoTime() - start) / 1_000_000_000L;
        return String.format("[%d:%02d:%02d]", s / 3600, s / 60 % 60, s % 60);
    }

    public int ran() {
        return ran;
    }

    public int reused() {
        return reused;
    }

    public int failed() {
        return failed;
    }
}
