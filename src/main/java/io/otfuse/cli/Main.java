package io.otfuse.cli;

import io.otfuse.io.ExitCode;
import io.otfuse.io.OtfuseException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code otfuse} command line. */
@Command(name = "otfuse",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = {"Fuse transformer networks (Hugging Face ViT and BERT checkpoints) with optimal transport.", ""},
        subcommands = {
                InspectCommand.class,
                TrainCommand.class,
                EvalCommand.class,
                PredictCommand.class,
                FinetuneCommand.class,
                FuseCommand.class,
                DemoCommand.class,
                ReproduceCommand.class,
                PermuteCommand.class,
                DoctorCommand.class,
                CommandLine.HelpCommand.class
        },
        footer = {"", "Exit codes:",
                "  0 success             1 internal error        2 usage",
                "  3 bad safetensors     4 bad config            5 tensors do not match config",
                "  6 incompatible models 7 non-finite weights    8 output exists / is an input",
                "  9 I/O failure        10 data set missing or malformed"})
public final class Main implements Runnable {
    @Option(names = "--debug", scope = CommandLine.ScopeType.INHERIT, description = "Show stack traces of errors.")
    boolean debug;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the CLI and returns the exit code (for tests). */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        boolean debug = java.util.Arrays.asList(args).contains("--debug");
        CommandLine cl = commandLine();
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((ex, cmd, parseResult) -> report(ex, err, debug));
        cl.setParameterExceptionHandler((ex, a) -> {
            err.println("otfuse: " + ex.getMessage());
            CommandLine c = ex.getCommandLine();
            err.println("Try '" + c.getCommandSpec().qualifiedName() + " --help' for more information.");
            if (debug) ex.printStackTrace(err);
            return ExitCode.USAGE.code;
        });
        int rc;
        try {
            rc = cl.execute(args);
        } catch (OutOfMemoryError e) {
            err.println("otfuse: out of memory (Java heap " + (Runtime.getRuntime().maxMemory() >> 20) + " MB); raise it with OTFUSE_JAVA_OPTS=-Xmx8g");
            if (debug) e.printStackTrace(err);
            rc = ExitCode.INTERNAL.code;
        }
        out.flush();
        err.flush();
        return rc;
    }

    public static CommandLine commandLine() {
        return new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true);
    }

    static int report(Exception ex, PrintWriter err, boolean debug) {
        Throwable t = ex;
        while (!(t instanceof OtfuseException) && t.getCause() != null && t != t.getCause()) t = t.getCause();
        if (t instanceof OtfuseException oe) {
            err.println("otfuse: " + oe.getMessage());
            if (debug) ex.printStackTrace(err);
            return oe.exitCode().code;
        }
        if (ex.getCause() instanceof OutOfMemoryError) {
            err.println("otfuse: out of memory; raise the heap with OTFUSE_JAVA_OPTS=-Xmx8g");
            return ExitCode.INTERNAL.code;
        }
        err.println("otfuse: internal error: " + ex + (debug ? "" : " (rerun with --debug for details)"));
        if (debug) ex.printStackTrace(err);
        return ExitCode.INTERNAL.code;
    }

    /** Version from the jar manifest. */
    public static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"otfuse " + (v == null ? "dev" : v),
                    "Java " + System.getProperty("java.version") + ", DJL 0.36.0 / PyTorch 2.7.1 (CPU)"};
        }
    }
}
