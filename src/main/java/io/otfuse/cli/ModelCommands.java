package io.otfuse.cli;

import io.otfuse.io.ExitCode;
import io.otfuse.io.OtfuseException;

/** Shared bits of the model commands (train, finetune, eval, predict). */
final class ModelCommands {
    private ModelCommands() {}

    /** Sets the PyTorch thread counts; must run before the engine starts. */
    static void threads(Integer n) {
        if (n != null) {
            if (n < 1) throw new OtfuseException(ExitCode.USAGE, "--threads must be at least 1, got " + n);
            System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(n));
        }
        if (System.getProperty("ai.djl.pytorch.num_interop_threads") == null) System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        if (System.getProperty("ai.djl.offline") == null) System.setProperty("ai.djl.offline", "true");
    }

    /**
     * Thread count of the long-running commands (demo, reproduce): the flag, else {@code $OTFUSE_THREADS} (already
     * passed to the JVM by the launcher), else one thread.
     */
    static void threadsDefaultOne(Integer flag) {
        String env = System.getenv("OTFUSE_THREADS");
        threads(flag != null ? flag : env != null && !env.isBlank() ? null : Integer.valueOf(1));
    }

    static void positive(String flag, double v) {
        if (!(v > 0)) throw new OtfuseException(ExitCode.USAGE, flag + " must be positive, got " + v);
    }

    static void nonNegative(String flag, double v) {
        if (!(v >= 0)) throw new OtfuseException(ExitCode.USAGE, flag + " must be ≥ 0, got " + v);
    }
}
