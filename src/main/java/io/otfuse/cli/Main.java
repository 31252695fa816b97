package io.otfuse.cli;

import io.otfuse.io.OtfuseException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Placeholder launcher of the fusion branch (the lead's Main replaces it; register FuseCommand and PermuteCommand there). */
@Command(name = "otfuse", mixinStandardHelpOptions = true, subcommands = {FuseCommand.class, PermuteCommand.class})
public class Main {
    public static void main(String[] args) {
        System.exit(run(args));
    }

    public static int run(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, c, p) -> {
            if (ex instanceof OtfuseException oe) {
                System.err.println("otfuse: " + oe.getMessage());
                return oe.exitCode().code;
            }
            throw ex;
        });
        return cl.execute(args);
    }
}
