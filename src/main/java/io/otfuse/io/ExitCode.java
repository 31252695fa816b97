package io.otfuse.io;

/** Documented process exit codes of the otfuse command line (see docs/EXIT-CODES.md). */
public enum ExitCode {
    OK(0, "success"),
    INTERNAL(1, "internal error (a bug: rerun with --debug and report it)"),
    USAGE(2, "invalid command line or option value"),
    BAD_TENSOR_FILE(3, "a safetensors file or index is malformed"),
    BAD_CONFIG(4, "config.json or a YAML config is missing, malformed or unsupported"),
    BAD_CHECKPOINT(5, "tensors missing, extra or of the wrong shape for the config"),
    INCOMPATIBLE_MODELS(6, "models cannot be fused together (architecture family, depth)"),
    NON_FINITE(7, "NaN or Inf weights (use --allow-nonfinite to proceed)"),
    OUTPUT_EXISTS(8, "output folder exists (use --force) or equals an input"),
    IO_FAILURE(9, "reading or writing failed (disk full, permissions); nothing partial was left"),
    DATA(10, "data set missing or malformed");

    public final int code;
    public final String meaning;

    ExitCode(int code, String meaning) {
        this.code = code;
        this.meaning = meaning;
    }
}
