package io.otfuse.io;

import java.util.Locale;

/** safetensors dtypes otfuse reads and writes. Names are the header strings of the format. */
public enum DType {
    F64(8), F32(4), F16(2), BF16(2), I64(8), I32(4), U8(1), BOOL(1);

    /** Bytes per element. */
    public final int size;

    DType(int size) {
        this.size = size;
    }

    public boolean isFloating() {
        return this == F64 || this == F32 || this == F16 || this == BF16;
    }

    /** Known safetensors dtypes otfuse does not handle; reported as unsupported rather than unknown. */
    private static final java.util.Set<String> KNOWN_UNSUPPORTED = java.util.Set.of(
            "F4", "F6_E2M3", "F6_E3M2", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0", "F8_E4M3FNUZ",
            "F8_E5M2FNUZ", "I16", "U16", "U32", "C64", "U64");

    /** Parses a header dtype string; the message names where it came from. */
    public static DType parse(String s, String where) {
        for (DType d : values()) {
            if (d.name().equals(s)) return d;
        }
        if (KNOWN_UNSUPPORTED.contains(s)) {
            throw new OtfuseException(ExitCode.BAD_TENSOR_FILE, where + ": dtype " + s + " is not supported (supported: F32, F16, BF16, F64, I64, I32, U8, BOOL)");
        }
        throw new OtfuseException(ExitCode.BAD_TENSOR_FILE, where + ": unknown dtype '" + s + "'");
    }

    /** Parses a user-facing dtype name such as f32, float16, bf16. */
    public static DType fromUser(String s) {
        switch (s.toLowerCase(Locale.ROOT)) {
            case "f32": case "float32": case "float": return F32;
            case "f16": case "float16": case "half": return F16;
            case "bf16": case "bfloat16": return BF16;
            case "f64": case "float64": case "double": return F64;
            default: throw new OtfuseException(ExitCode.USAGE, "unknown dtype '" + s + "' (use f32, f16, bf16 or f64)");
        }
    }

    /** The torch_dtype string of HF config.json. */
    public String torchName() {
        switch (this) {
            case F64: return "float64";
            case F32: return "float32";
            case F16: return "float16";
            case BF16: return "bfloat16";
            case I64: return "int64";
            case I32: return "int32";
            case U8: return "uint8";
            default: return "bool";
        }
    }
}
