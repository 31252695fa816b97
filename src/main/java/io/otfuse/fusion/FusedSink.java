package io.otfuse.fusion;

import io.otfuse.io.DType;
import java.nio.ByteBuffer;

/** Where finished fused tensors go when they are not kept in the heap ({@link FusedSpill}, {@link FusedFile}). */
public interface FusedSink extends AutoCloseable {
    /** Takes a finished tensor (the caller drops its array). */
    void put(String name, float[] x);

    /** A tensor put earlier, as bytes in {@code dtype}. */
    ByteBuffer bytes(String name, DType dtype);

    @Override
    void close();
}
