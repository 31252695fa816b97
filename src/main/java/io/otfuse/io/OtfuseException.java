package io.otfuse.io;

/**
 * A user-facing error: its message is one line naming the file, tensor or field and what is wrong.
 * The command line prints the message (no stack trace unless --debug) and exits with {@link #exitCode()}.
 */
public class OtfuseException extends RuntimeException {
    private final ExitCode exitCode;

    public OtfuseException(ExitCode exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    public OtfuseException(ExitCode exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    public ExitCode exitCode() {
        return exitCode;
    }
}
