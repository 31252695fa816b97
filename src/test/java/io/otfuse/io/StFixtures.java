package io.otfuse.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Helpers that write hand-made safetensors files for tests. */
final class StFixtures {
    private StFixtures() {}

    /** Writes a file with the given header text and data bytes, with an explicit header length. */
    static Path raw(Path file, long headerLen, String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(headerLen);
        b.put(h);
        b.put(data);
        Files.write(file, b.array());
        return file;
    }

    static Path raw(Path file, String header, byte[] data) throws IOException {
        return raw(file, header.getBytes(StandardCharsets.UTF_8).length, header, data);
    }

    static byte[] randomBytes(int n, long seed) {
        byte[] b = new byte[n];
        new java.util.Random(seed).nextBytes(b);
        return b;
    }
}
