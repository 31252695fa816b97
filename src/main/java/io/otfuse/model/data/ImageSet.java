package io.otfuse.model.data;

import java.util.List;

/**
 * Images as raw 8-bit pixels [N, C, H, W] (row-major) with integer labels and class names.
 */
public record ImageSet(String name, byte[] pixels, int[] labels, int channels, int height, int width, List<String> classes) {
    public int size() {
        return labels.length;
    }

    public int imageBytes() {
        return channels * height * width;
    }

    /** The images {@code idx}, in that order. */
    public ImageSet select(int[] idx) {
        int ib = imageBytes();
        byte[] p = new byte[idx.length * ib];
        int[] l = new int[idx.length];
        for (int i = 0; i < idx.length; i++) {
            System.arraycopy(pixels, idx[i] * ib, p, i * ib, ib);
            l[i] = labels[idx[i]];
        }
        return new ImageSet(name, p, l, channels, height, width, classes);
    }

    /** The first {@code n} images (or all if n ≤ 0 or larger). */
    public ImageSet limit(int n) {
        if (n <= 0 || n >= size()) return this;
        byte[] p = java.util.Arrays.copyOf(pixels, n * imageBytes());
        return new ImageSet(name, p, java.util.Arrays.copyOf(labels, n), channels, height, width, classes);
    }
}
