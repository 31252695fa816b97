package io.otfuse.ot;

/** A discrete OT solver: {@code (a, b, C, options) -> result}. */
public interface OtSolver {
    String name();

    OtResult solve(OtProblem problem, OtOptions options);

    default OtResult solve(OtProblem problem) {
        return solve(problem, OtOptions.defaults());
    }
}
