package io.otfuse.model.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Minimal NumPy .npy (format 1.0) writer for float32 C-order arrays. */
public final class Npy {
    private Npy() {}

    public static byte[] float32(float[] data, long... shape) {
        StringBuilder s = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) s.append(shape[i]).append(shape.length == 1 || i < shape.length - 1 ? "," : "").append(i < shape.length - 1 ? " " : "");
        s.append(")");
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': " + s + ", }";
        int unpadded = 10 + dict.length() + 1;
        int pad = (64 - unpadded % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        byte[] h = header.getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(10 + h.length + 4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0).putShort((short) h.length).put(h);
        for (float f : data) b.putFloat(f);
        return b.array();
    }

    public static void write(Path file, float[] data, long... shape) throws IOException {
        Files.write(file, float32(data, shape));
    }
}
