package io.otfuse.model;

import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;

/**
 * The C heap the engine allocates from. glibc keeps large blocks the engine has freed in its arenas for reuse, where
 * they still count in the process's resident memory: once a block of some size has been freed, glibc raises the size
 * from which blocks get a mapping of their own, so the next model's weights land in an arena and stay there when that
 * model is closed.
 */
public final class NativeHeap {
    private NativeHeap() {}

    /** Hands the free memory of every glibc arena back to the system ({@code malloc_trim(0)}); nothing elsewhere. */
    public static void trim() {
        if (!Platform.isLinux()) return;
        try {
            NativeLibrary.getInstance(Platform.C_LIBRARY_NAME).getFunction("malloc_trim").invokeInt(new Object[] {0});
        } catch (UnsatisfiedLinkError e) {
            // a C library without malloc_trim (musl): its free memory stays where it is
        }
    }
}
