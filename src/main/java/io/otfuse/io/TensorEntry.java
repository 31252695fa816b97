package io.otfuse.io;

import java.nio.ByteBuffer;
import java.util.function.Supplier;

/**
 * A tensor to be written: name, stored dtype, shape, and a supplier of its little-endian bytes in that
 * dtype. The supplier is called once, when the writer reaches the tensor, so a writer streams tensors
 * without holding them all in memory.
 */
public record TensorEntry(String name, DType dtype, long[] shape, Supplier<ByteBuffer> bytes) {

    public long byteSize() {
        return Math.multiplyExact(TensorInfo.numel(shape), dtype.size);
    }

    /** A tensor given as floats, stored as {@code dtype} (a floating dtype). */
    public static TensorEntry ofFloats(String name, long[] shape, float[] values, DType dtype) {
        if (TensorInfo.numel(shape) != values.length) {
            throw new IllegalArgumentException(name + ": " + values.length + " values for shape " + java.util.Arrays.toString(shape));
        }
        return new TensorEntry(name, dtype, shape.clone(), () -> Tensors.fromFloats(values, dtype));
    }

    /** A tensor given as raw bytes already in {@code dtype}. */
    public static TensorEntry ofBytes(String name, DType dtype, long[] shape, ByteBuffer raw) {
        return new TensorEntry(name, dtype, shape.clone(), raw::duplicate);
    }
}
