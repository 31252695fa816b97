package io.otfuse.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Conversions between safetensors bytes, Java arrays and DJL NDArrays. */
public final class Tensors {
    private Tensors() {}

    /** Widens a tensor's little-endian bytes to float. */
    public static float[] toFloats(TensorInfo t, ByteBuffer raw) {
        long n = t.numel();
        if (n > Integer.MAX_VALUE - 8) throw new OtfuseException(ExitCode.BAD_TENSOR_FILE, "tensor '" + t.name() + "' has too many elements for one float array");
        ByteBuffer b = raw.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        b.rewind();
        float[] out = new float[(int) n];
        switch (t.dtype()) {
            case F32: b.asFloatBuffer().get(out); break;
            case F16: for (int i = 0; i < out.length; i++) out[i] = HalfFloats.f16ToF32(b.getShort(2 * i)); break;
            case BF16: for (int i = 0; i < out.length; i++) out[i] = HalfFloats.bf16ToF32(b.getShort(2 * i)); break;
            case F64: for (int i = 0; i < out.length; i++) out[i] = (float) b.getDouble(8 * i); break;
            case I64: for (int i = 0; i < out.length; i++) out[i] = b.getLong(8 * i); break;
            case I32: for (int i = 0; i < out.length; i++) out[i] = b.getInt(4 * i); break;
            case U8: for (int i = 0; i < out.length; i++) out[i] = b.get(i) & 0xFF; break;
            case BOOL: for (int i = 0; i < out.length; i++) out[i] = b.get(i) != 0 ? 1f : 0f; break;
            default: throw new AssertionError(t.dtype());
        }
        return out;
    }

    /** Appends {@code values[from .. from + len)} encoded as {@code dtype} to {@code out} (little-endian, at its position). */
    public static void putFloats(float[] values, int from, int len, DType dtype, ByteBuffer out) {
        switch (dtype) {
            case F32 -> {
                out.asFloatBuffer().put(values, from, len);
                out.position(out.position() + 4 * len);
            }
            case F16 -> { for (int i = from; i < from + len; i++) out.putShort(HalfFloats.f32ToF16(values[i])); }
            case BF16 -> { for (int i = from; i < from + len; i++) out.putShort(HalfFloats.f32ToBf16(values[i])); }
            case F64 -> { for (int i = from; i < from + len; i++) out.putDouble(values[i]); }
            default -> throw new IllegalArgumentException("cannot encode floats as " + dtype);
        }
    }

    /** Encodes float values as little-endian bytes of a floating dtype (rounding to nearest even). */
    public static ByteBuffer fromFloats(float[] values, DType dtype) {
        ByteBuffer b = ByteBuffer.allocate(Math.multiplyExact(values.length, dtype.size)).order(ByteOrder.LITTLE_ENDIAN);
        putFloats(values, 0, values.length, dtype, b);
        b.rewind();
        return b;
    }

    /**
     * Creates an NDArray for a tensor. F32, F64, F16 and integer data are handed to the engine straight
     * from the mapped buffer (zero-copy on CPU); BF16 is widened to F32 first because the PyTorch engine
     * aborts the JVM on BF16 buffers.
     */
    public static NDArray toNDArray(NDManager manager, TensorInfo t, ByteBuffer raw) {
        Shape shape = new Shape(t.shape());
        switch (t.dtype()) {
            case BF16: {
                ByteBuffer direct = ByteBuffer.allocateDirect(Math.toIntExact(t.numel() * 4)).order(ByteOrder.nativeOrder());
                ByteBuffer src = raw.duplicate().order(ByteOrder.LITTLE_ENDIAN);
                long n = t.numel();
                for (int i = 0; i < n; i++) direct.putFloat(HalfFloats.bf16ToF32(src.getShort(2 * i)));
                direct.rewind();
                return manager.create(direct, shape, DataType.FLOAT32);
            }
            default: {
                ByteBuffer direct = raw;
                if (!raw.isDirect() || raw.order() != ByteOrder.nativeOrder()) {
                    direct = ByteBuffer.allocateDirect(raw.remaining()).order(ByteOrder.nativeOrder());
                    direct.put(raw.duplicate().order(ByteOrder.LITTLE_ENDIAN));
                    direct.rewind();
                }
                return manager.create(direct, shape, djlType(t.dtype()));
            }
        }
    }

    /** A float32 NDArray for compute: F16 and BF16 become F32. */
    public static NDArray toFloat32NDArray(NDManager manager, TensorInfo t, ByteBuffer raw) {
        NDArray a = toNDArray(manager, t, raw);
        if (a.getDataType() == DataType.FLOAT32) return a;
        NDArray f = a.toType(DataType.FLOAT32, false);
        a.close();
        return f;
    }

    public static DataType djlType(DType d) {
        switch (d) {
            case F64: return DataType.FLOAT64;
            case F32: return DataType.FLOAT32;
            case F16: return DataType.FLOAT16;
            case I64: return DataType.INT64;
            case I32: return DataType.INT32;
            case U8: return DataType.UINT8;
            case BOOL: return DataType.BOOLEAN;
            default: throw new IllegalArgumentException("no engine type for " + d);
        }
    }

    /** Bytes of an NDArray's values encoded as the requested dtype (BF16 converted in Java). */
    public static ByteBuffer bytesOf(NDArray a, DType dtype) {
        if (dtype == DType.BF16 || (dtype.isFloating() && a.getDataType() != djlType(dtype))) {
            float[] v = a.getDataType() == DataType.FLOAT32 ? a.toFloatArray() : a.toType(DataType.FLOAT32, false).toFloatArray();
            return fromFloats(v, dtype);
        }
        ByteBuffer b = a.toByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        b.rewind();
        return b;
    }

    /**
     * Refuses NaN or infinite values with a one-line {@link ExitCode#NON_FINITE} error naming {@code where}
     * (file and tensor); {@code --allow-nonfinite} skips this check.
     */
    public static void requireFinite(float[] x, String where) {
        // exponent bits all ones (NaN or infinite) carry into the sign bit: one branch-free OR over the array (vectorised)
        int any = 0;
        for (float v : x) any |= (Float.floatToRawIntBits(v) & 0x7f800000) + 0x00800000;
        if (any >= 0) return;
        int bad = 0, first = -1;
        for (int i = 0; i < x.length; i++) {
            if (!Float.isFinite(x[i])) {
                if (first < 0) first = i;
                bad++;
            }
        }
        if (bad > 0) {
            throw new OtfuseException(ExitCode.NON_FINITE, where + ": " + bad + " NaN or infinite value(s), the first at flat index " + first
                    + " (" + x[first] + "); use --allow-nonfinite to proceed anyway");
        }
    }
}
