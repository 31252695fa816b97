package io.otfuse.io;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a checkpoint folder atomically: everything goes into a hidden temporary folder beside the
 * destination, which is renamed to the destination only when complete. A failure or a kill leaves
 * either nothing or the complete folder.
 */
public final class CheckpointWriter {
    private final Path dest;
    private final boolean force;
    private ModelConfig config;
    private final List<TensorEntry> tensors = new ArrayList<>();
    private final List<Path> companions = new ArrayList<>();
    private final Map<String, byte[]> extraFiles = new LinkedHashMap<>();
    private long maxShardBytes = 0;
    private Path weightsFile;

    public CheckpointWriter(Path dest, boolean force) {
        this.dest = dest.toAbsolutePath().normalize();
        this.force = force;
    }

    /** Refuses an existing destination (unless forced) or one that is one of the inputs. */
    public static void checkDestination(Path dest, boolean force, List<Path> inputs) {
        Path d = dest.toAbsolutePath().normalize();
        for (Path in : inputs) {
            Path i = in.toAbsolutePath().normalize();
            if (i.equals(d) || i.startsWith(d)) {
                throw new OtfuseException(ExitCode.OUTPUT_EXISTS, dest + ": output folder is (or contains) the input " + in);
            }
        }
        if (Files.exists(d) && !force) {
            throw new OtfuseException(ExitCode.OUTPUT_EXISTS, dest + ": output folder exists (use --force to replace it)");
        }
        Path parent = d.getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            throw new OtfuseException(ExitCode.OUTPUT_EXISTS, dest + ": parent folder " + parent + " does not exist");
        }
    }

    public CheckpointWriter config(ModelConfig c) {
        this.config = c;
        return this;
    }

    public CheckpointWriter tensor(TensorEntry t) {
        tensors.add(t);
        return this;
    }

    public CheckpointWriter tensors(List<TensorEntry> ts) {
        tensors.addAll(ts);
        return this;
    }

    /**
     * A finished single-file {@code model.safetensors} written beforehand (e.g. by {@link PositionalSafetensors} beside
     * the destination): moved into the new folder instead of writing tensors.
     */
    public CheckpointWriter weightsFile(Path finished) {
        this.weightsFile = finished;
        return this;
    }

    public CheckpointWriter maxShardBytes(long b) {
        this.maxShardBytes = b;
        return this;
    }

    /** Copies the companion files (tokenizer, preprocessor) of a parent. */
    public CheckpointWriter companionsFrom(Checkpoint parent) {
        companions.addAll(parent.companions());
        return this;
    }

    public CheckpointWriter companion(Path file) {
        companions.add(file);
        return this;
    }

    public CheckpointWriter file(String name, byte[] content) {
        extraFiles.put(name, content);
        return this;
    }

    /**
     * Removes what killed runs left beside {@code dest}: hidden {@code .NAME.tmp-PID-*} folders and
     * {@code .NAME.scratch-PID-*} files whose process is gone. A {@code .NAME.old-PID-*} folder (a forced replace
     * killed between its two renames) is renamed back to {@code dest} when {@code dest} is absent, otherwise removed.
     * Folders of live processes are never touched, and none of these names is ever taken for an output.
     */
    public static void cleanStale(Path dest) {
        Path d = dest.toAbsolutePath().normalize();
        Path parent = d.getParent();
        if (parent == null || !Files.isDirectory(parent)) return;
        String base = "." + d.getFileName() + ".";
        List<Path> stale = new ArrayList<>();
        try (java.util.stream.Stream<Path> s = Files.list(parent)) {
            s.forEach(p -> {
                String n = p.getFileName().toString();
                if (!n.startsWith(base)) return;
                String rest = n.substring(base.length());
                for (String kind : new String[] {"tmp-", "old-", "scratch-"}) {
                    if (!rest.startsWith(kind)) continue;
                    String[] parts = rest.substring(kind.length()).split("-");
                    if (parts.length != 2) return;
                    try {
                        long pid = Long.parseLong(parts[0]);
                        Long.parseLong(parts[1]);
                        if (pid != ProcessHandle.current().pid() && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) return;
                        if (pid == ProcessHandle.current().pid()) return;
                        stale.add(p);
                    } catch (NumberFormatException e) {
                        return;
                    }
                }
            });
        } catch (IOException e) {
            return; // best effort
        }
        java.util.Collections.sort(stale);
        for (Path p : stale) {
            if (p.getFileName().toString().startsWith(base + "old-") && !Files.exists(d)) {
                try {
                    Files.move(p, d, StandardCopyOption.ATOMIC_MOVE);
                    continue;
                } catch (IOException e) {
                    // fall through and leave it
                    continue;
                }
            }
            AtomicFiles.deleteTree(p);
        }
    }

    public Path write() {
        cleanStale(dest);
        checkDestination(dest, force, List.of());
        Path parent = dest.getParent();
        Path tmp = parent.resolve("." + dest.getFileName() + ".tmp-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
        try {
            Files.createDirectory(tmp);
            if (weightsFile != null) {
                if (!tensors.isEmpty()) throw new IllegalStateException("a checkpoint gets either a weights file or tensors, not both");
                Files.move(weightsFile, tmp.resolve(WeightStore.SINGLE), StandardCopyOption.ATOMIC_MOVE);
            } else {
                WeightStore.write(tmp, tensors, maxShardBytes);
            }
            if (config != null) config.write(tmp);
            for (Path c : companions) Files.copy(c, tmp.resolve(c.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            for (Map.Entry<String, byte[]> e : extraFiles.entrySet()) Files.write(tmp.resolve(e.getKey()), e.getValue());
            publish(tmp, dest, force);
            return dest;
        } catch (IOException e) {
            AtomicFiles.deleteTree(tmp);
            throw new OtfuseException(ExitCode.IO_FAILURE, dest + ": writing the checkpoint failed (" + e.getMessage() + "); nothing was left behind", e);
        } catch (OtfuseException e) {
            AtomicFiles.deleteTree(tmp);
            if (e.exitCode() != ExitCode.IO_FAILURE) throw e;
            String why = e.getCause() != null && e.getCause().getMessage() != null ? e.getCause().getMessage() : e.getMessage();
            throw new OtfuseException(ExitCode.IO_FAILURE, dest + ": writing the checkpoint failed (" + why + "); nothing was left behind", e);
        } catch (RuntimeException | Error e) {
            AtomicFiles.deleteTree(tmp);
            throw e;
        }
    }

    /** Renames a finished temporary folder to its destination, replacing an old one only when forced. */
    public static void publish(Path tmp, Path dest, boolean force) throws IOException {
        if (Files.exists(dest)) {
            if (!force) throw new FileAlreadyExistsException(dest.toString());
            Path old = dest.getParent().resolve("." + dest.getFileName() + ".old-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
            Files.move(dest, old, StandardCopyOption.ATOMIC_MOVE);
            Files.move(tmp, dest, StandardCopyOption.ATOMIC_MOVE);
            AtomicFiles.deleteTree(old);
        } else {
            Files.move(tmp, dest, StandardCopyOption.ATOMIC_MOVE);
        }
    }
}
