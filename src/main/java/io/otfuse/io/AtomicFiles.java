package io.otfuse.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;

/** Small files and whole folders that appear under their final name only when complete. */
public final class AtomicFiles {
    private AtomicFiles() {}

    public static void writeString(Path file, String text) {
        writeBytes(file, text.getBytes(StandardCharsets.UTF_8));
    }

    public static void writeBytes(Path file, byte[] bytes) {
        Path tmp = file.toAbsolutePath().getParent().resolve("." + file.getFileName() + ".tmp-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
        try {
            Files.write(tmp, bytes);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            SafetensorsWriter.deleteQuietly(tmp);
            throw new OtfuseException(ExitCode.IO_FAILURE, file + ": write failed (" + e.getMessage() + ")", e);
        }
    }

    /** Deletes a folder tree, best effort. */
    public static void deleteTree(Path dir) {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(SafetensorsWriter::deleteQuietly);
        } catch (IOException ignored) {
            // best effort
        }
    }
}
