package io.otfuse.reproduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The caching and resume logic of the study pipeline: a finished step is never run again, a failed one always is. */
class StepsTest {
    @TempDir
    Path tmp;

    private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
    private final PrintStream log = new PrintStream(buf, true, StandardCharsets.UTF_8);

    private static ObjectNode result(double acc) {
        return Steps.JSON.createObjectNode().put("accuracy", acc);
    }

    @Test
    void finishedStepsAreReusedAcrossRuns() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        Steps a = new Steps(tmp, log);
        ObjectNode r1 = a.run("one", "first", () -> {
            calls.incrementAndGet();
            return result(0.5);
        });
        assertEquals(1, calls.get());
        assertTrue(Files.isRegularFile(tmp.resolve("steps/one.json")));
        assertTrue(r1.has("seconds"), "timing recorded");
        assertEquals(1, a.ran());

        // a new run (a resumed study) sees the file and does not call the work again
        Steps b = new Steps(tmp, log);
        ObjectNode r2 = b.run("one", "first", () -> {
            calls.incrementAndGet();
            return result(0.9);
        });
        assertEquals(1, calls.get());
        assertEquals(0.5, r2.get("accuracy").asDouble());
        assertEquals(1, b.reused());
        assertTrue(buf.toString(StandardCharsets.UTF_8).contains("[done earlier] one"));
    }

    @Test
    void aFailedStepIsNotStoredAndRunsAgain() {
        Steps a = new Steps(tmp, log);
        assertThrows(IllegalStateException.class, () -> a.run("bad", "fails", () -> {
            throw new IllegalStateException("boom");
        }));
        assertFalse(Files.exists(tmp.resolve("steps/bad.json")));
        ObjectNode soft = a.tryRun("bad", "fails softly", () -> {
            throw new IllegalStateException("boom again");
        });
        assertEquals("boom again", soft.get("error").asText());
        assertFalse(Files.exists(tmp.resolve("steps/bad.json")));
        assertEquals(2, a.failed());
        // the next attempt succeeds and is stored
        assertEquals(0.7, a.tryRun("bad", "works now", () -> result(0.7)).get("accuracy").asDouble());
        assertTrue(Files.isRegularFile(tmp.resolve("steps/bad.json")));
        assertTrue(buf.toString(StandardCharsets.UTF_8).contains("[failed] bad"));
    }

    @Test
    void earlierStepsSurviveALaterFailure() {
        Steps a = new Steps(tmp, log);
        a.run("s1", "ok", () -> result(0.1));
        assertThrows(RuntimeException.class, () -> a.run("s2", "killed", () -> {
            throw new RuntimeException("interrupted");
        }));
        AtomicInteger calls = new AtomicInteger();
        Steps b = new Steps(tmp, log);
        b.run("s1", "ok", () -> {
            calls.incrementAndGet();
            return result(0.1);
        });
        b.run("s2", "now", () -> {
            calls.incrementAndGet();
            return result(0.2);
        });
        assertEquals(1, calls.get(), "only the failed step runs again");
        assertEquals(0.2, b.stored("s2").get("accuracy").asDouble());
    }

    @Test
    void anUnreadableResultIsSetAsideAndRecomputed() throws Exception {
        Files.createDirectories(tmp.resolve("steps"));
        Files.writeString(tmp.resolve("steps/x.json"), "{\"accuracy\": 0.");
        Steps a = new Steps(tmp, log);
        assertEquals(0.3, a.run("x", "redo", () -> result(0.3)).get("accuracy").asDouble());
        assertTrue(Files.isRegularFile(tmp.resolve("steps/x.json.bad")));
        assertEquals(0.3, new Steps(tmp, log).stored("x").get("accuracy").asDouble());
    }

    @Test
    void stepIdsAreFileNameSafe() {
        Steps a = new Steps(tmp, log);
        assertThrows(IllegalArgumentException.class, () -> a.file("../escape"));
        assertThrows(IllegalArgumentException.class, () -> a.file("Upper"));
        assertEquals(tmp.resolve("steps/ablate-lambda-acts-0.08.json"), a.file("ablate-lambda-acts-0.08"));
    }
}
