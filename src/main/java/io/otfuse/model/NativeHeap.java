package io.otfuse.model;

import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;

/**
 * The C heap the engine allocates from. By default glibc keeps large blocks the engine has freed (a closed model's
 * weights, a forward's intermediates, product results) in its arenas for reuse, where they still count in the
 * process's resident memory, and raises the size from which blocks get a mapping of their own each time such a block
 * is freed, so ever more of them stay.
 */
public final class NativeHeap {
    /** glibc's {@code M_MMAP_THRESHOLD} option of {@code mallopt}. */
    private static final int M_MMAP_THRESHOLD = -3;
    /** Blocks from this size on get their own mapping (glibc's initial threshold). */
    static final int LARGE = 128 << 10;

    private NativeHeap() {}

    /**
     * From now on, blocks of {@link #LARGE} bytes and more get a mapping of their own that goes back to the system
     * when the block is freed (a fixed {@code M_MMAP_THRESHOLD}). Returns whether the C library took it: false where
     * it is not glibc, and nothing changes there.
     */
    public static boolean returnLargeBlocks() {
        if (!Platform.isLinux()) return false;
        try {
            return NativeLibrary.getInstance(Platform.C_LIBRARY_NAME).getFunction("mallopt").invokeInt(new Object[] {M_MMAP_THRESHOLD, LARGE}) == 1;
        } catch (UnsatisfiedLinkError e) {
            return false; // a C library without mallopt (musl)
        }
    }
}
