package io.otfuse.cli;

import io.otfuse.fusion.Permuter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "permute", mixinStandardHelpOptions = true,
        description = "Write a neuron-permuted copy of a model that computes the same function (residual stream, heads as blocks, neurons within heads, MLP units).")
public class PermuteCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "DIR", description = "Checkpoint folder")
    Path dir;
    @Option(names = "--seed", description = "Seed of the permutations. Default: ${DEFAULT-VALUE}")
    long seed = 0;
    @Option(names = "--out", required = true, description = "Output checkpoint folder")
    Path out;
    @Option(names = "--force", description = "Replace an existing output folder")
    boolean force;

    @Override
    public Integer call() {
        Permuter.permute(dir, seed, out, force);
        System.out.println("wrote permuted copy of " + dir + " to " + out + " (seed " + seed + ")");
        return 0;
    }
}
