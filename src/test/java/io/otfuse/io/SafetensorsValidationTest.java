package io.otfuse.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SafetensorsValidationTest {
    @TempDir
    Path tmp;

    static final String OK_T = "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";

    static Stream<Arguments> hostileHeaders() {
        return Stream.of(
                Arguments.of("not json", "{oops", 0, "not valid JSON"),
                Arguments.of("array", "[1,2]  ", 0, "does not start with '{'"),
                Arguments.of("duplicate names", "{" + OK_T + "," + OK_T + "}", 8, "not valid JSON"),
                Arguments.of("unknown dtype", "{\"a\":{\"dtype\":\"Q7\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "unknown dtype 'Q7'"),
                Arguments.of("unsupported dtype", "{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[8],\"data_offsets\":[0,8]}}", 8, "not supported"),
                Arguments.of("negative shape", "{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, "negative dimension"),
                Arguments.of("overflowing shape", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}", 8, "overflows"),
                Arguments.of("size mismatch", "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "does not match shape"),
                Arguments.of("negative offset", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]}}", 8, "negative data offset"),
                Arguments.of("end before begin", "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,0]}}", 8, "before begin"),
                Arguments.of("gap", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 16, "gap"),
                Arguments.of("overlap", "{" + OK_T + ",\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, "overlap"),
                Arguments.of("out of bounds", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8, "out of bounds"),
                Arguments.of("trailing bytes", "{" + OK_T + "}", 12, "trailing bytes"),
                Arguments.of("metadata not strings", "{\"__metadata__\":{\"format\":1}," + OK_T + "}", 8, "not a string"),
                Arguments.of("shape not array", "{\"a\":{\"dtype\":\"F32\",\"shape\":2,\"data_offsets\":[0,8]}}", 8, "non-array shape"),
                Arguments.of("offsets wrong arity", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}", 8, "two integers"),
                Arguments.of("float offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0.5,8]}}", 8, "not an integer"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hostileHeaders")
    void rejectsHostileHeaders(String label, String header, int dataBytes, String expected) throws Exception {
        Path f = StFixtures.raw(tmp.resolve("x.safetensors"), header, new byte[dataBytes]);
        OtfuseException e = assertThrows(OtfuseException.class, () -> SafetensorsFile.open(f).close());
        assertEquals(ExitCode.BAD_TENSOR_FILE, e.exitCode());
        assertTrue(e.getMessage().contains(expected), "message: " + e.getMessage());
        assertTrue(e.getMessage().startsWith(f.toString()), "names the file: " + e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), "one line");
    }

    @Test
    void rejectsShortEmptyAndLyingFiles() throws Exception {
        Path empty = Files.write(tmp.resolve("empty.safetensors"), new byte[0]);
        assertMessage(empty, "too short");
        Path shortF = Files.write(tmp.resolve("short.safetensors"), new byte[5]);
        assertMessage(shortF, "too short");
        Path huge = StFixtures.raw(tmp.resolve("huge.safetensors"), 200_000_000L, "{}", new byte[0]);
        assertMessage(huge, "100 MB");
        Path negative = StFixtures.raw(tmp.resolve("neg.safetensors"), -1L, "{}", new byte[0]);
        assertMessage(negative, "100 MB");
        Path beyond = StFixtures.raw(tmp.resolve("beyond.safetensors"), 5000, "{}", new byte[0]);
        assertMessage(beyond, "beyond the end");
        byte[] badUtf8 = {'{', '"', (byte) 0xC3, (byte) 0x28, '"', ':', '1', '}'};
        Path notUtf8 = tmp.resolve("utf.safetensors");
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8 + badUtf8.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putLong(badUtf8.length).put(badUtf8);
        Files.write(notUtf8, b.array());
        assertMessage(notUtf8, "not valid UTF-8");
        assertMessage(tmp.resolve("missing.safetensors"), "file not found");
    }

    @Test
    void acceptsPaddedHeaderWithUnsortedKeysAndEmptyTensors() throws Exception {
        String h = "{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}," + OK_T
                + ",\"e\":{\"dtype\":\"F16\",\"shape\":[0,3],\"data_offsets\":[12,12]},\"__metadata__\":{\"format\":\"pt\"}}    ";
        Path f = StFixtures.raw(tmp.resolve("ok.safetensors"), h, new byte[12]);
        try (SafetensorsFile s = SafetensorsFile.open(f)) {
            assertEquals(3, s.tensors().size());
            assertEquals("pt", s.metadata().get("format"));
            assertEquals(0, s.readFloats("e").length);
        }
    }

    private static void assertMessage(Path f, String expected) {
        OtfuseException e = assertThrows(OtfuseException.class, () -> SafetensorsFile.open(f).close());
        assertTrue(e.getMessage().contains(expected), "message: " + e.getMessage());
    }
}
