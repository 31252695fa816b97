package io.otfuse.cli;

import io.otfuse.io.OtfuseException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Placeholder launcher of the models branch (the lead's Main replaces it). */
@Command(name = "otfuse", mixinStandardHelpOptions = true,
        subcommands = {TrainCommand.class, FinetuneCommand.class, EvalCommand.class, PredictCommand.class})
public class Main {
    public static void main(String[] args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, c, p) -> {
            if (ex instanceof OtfuseException oe) {
                System.err.println("otfuse: " + oe.getMessage());
                return oe.exitCode().code;
            }
            throw ex;
        });
        System.exit(cl.execute(args));
    }
}
