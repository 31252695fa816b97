package io.otfuse.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.otfuse.testing.Python;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsRoundTripTest {
    @TempDir
    Path tmp;

    /** Tensors of every supported dtype, with special values, a 0-rank and an empty tensor. */
    static List<TensorEntry> sample() {
        List<TensorEntry> ts = new ArrayList<>();
        for (DType d : DType.values()) {
            long[] shape = {3, 4};
            byte[] bytes = StFixtures.randomBytes(12 * d.size, d.ordinal());
            if (d == DType.BOOL) for (int i = 0; i < bytes.length; i++) bytes[i] &= 1;
            ts.add(TensorEntry.ofBytes("t." + d.name().toLowerCase(), d, shape, ByteBuffer.wrap(bytes)));
        }
        // specials in half precision: NaN payloads, subnormals, ±0, ±inf
        short[] specials = {0x7E01, (short) 0xFC00, 0x7C00, 0x0001, (short) 0x8001, 0x0000, (short) 0x8000, 0x03FF, 0x7D55};
        ByteBuffer h = ByteBuffer.allocate(specials.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (short s : specials) h.putShort(s);
        ts.add(TensorEntry.ofBytes("special.f16", DType.F16, new long[] {specials.length}, ByteBuffer.wrap(h.array())));
        ts.add(TensorEntry.ofBytes("special.bf16", DType.BF16, new long[] {specials.length}, ByteBuffer.wrap(h.array())));
        ByteBuffer f = ByteBuffer.allocate(6 * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int bits : new int[] {0x7FC12345, 0xFF800001, 0x00000001, 0x80000000, 0x7F7FFFFF, 0x00000000}) f.putInt(bits);
        ts.add(TensorEntry.ofBytes("special.f32", DType.F32, new long[] {2, 3}, ByteBuffer.wrap(f.array())));
        ts.add(TensorEntry.ofBytes("scalar", DType.F32, new long[] {}, ByteBuffer.wrap(new byte[] {0, 0, (byte) 0x80, 0x3F})));
        ts.add(TensorEntry.ofBytes("empty", DType.F16, new long[] {0, 5}, ByteBuffer.wrap(new byte[0])));
        ts.add(TensorEntry.ofBytes("empty.scalarlike", DType.I64, new long[] {2, 0}, ByteBuffer.wrap(new byte[0])));
        return ts;
    }

    /** The buffer's contents from its start. */
    static byte[] bytes(ByteBuffer b) {
        ByteBuffer d = b.duplicate();
        d.rewind();
        byte[] a = new byte[d.remaining()];
        d.get(a);
        return a;
    }

    private static void assertSameTensors(List<TensorEntry> expected, WeightStore store) {
        assertEquals(expected.size(), store.names().size());
        for (TensorEntry t : expected) {
            TensorInfo info = store.info(t.name());
            assertEquals(t.dtype(), info.dtype(), t.name());
            assertArrayEquals(t.shape(), info.shape(), t.name());
            assertArrayEquals(bytes(t.bytes().get()), bytes(store.map(t.name())), t.name());
        }
    }

    @Test
    void singleFileRoundTripIsBitExactForEveryDtype() throws Exception {
        List<TensorEntry> ts = sample();
        WeightStore.write(tmp, ts, 0);
        assertTrue(Files.exists(tmp.resolve("model.safetensors")));
        try (WeightStore s = WeightStore.open(tmp)) {
            assertSameTensors(ts, s);
            assertEquals("pt", s.files().get(0).metadata().get("format"));
        }
        // header padded so data starts 8-aligned; no temporary files left
        ByteBuffer head = ByteBuffer.wrap(Files.readAllBytes(tmp.resolve("model.safetensors"))).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0, (8 + head.getLong(0)) % 8);
        try (var l = Files.list(tmp)) {
            assertEquals(1, l.count());
        }
    }

    @Test
    void shardedRoundTripIsBitExactAndIndexed() throws Exception {
        List<TensorEntry> ts = sample();
        WeightStore.write(tmp, ts, 40);
        JsonNode index = new ObjectMapper().readTree(tmp.resolve("model.safetensors.index.json").toFile());
        long total = ts.stream().mapToLong(TensorEntry::byteSize).sum();
        assertEquals(total, index.get("metadata").get("total_size").asLong());
        int shards = (int) index.get("weight_map").properties().stream().map(e -> e.getValue().asText()).distinct().count();
        assertTrue(shards > 3, "expected several shards, got " + shards);
        assertTrue(Files.exists(tmp.resolve(String.format("model-00001-of-%05d.safetensors", shards))));
        try (WeightStore s = WeightStore.open(tmp)) {
            assertEquals(shards, s.files().size());
            assertSameTensors(ts, s);
        }
    }

    @Test
    void halfPrecisionSurvivesWideningAndNarrowingBitExactly() throws Exception {
        List<TensorEntry> ts = sample();
        WeightStore.write(tmp, ts, 0);
        Path out = tmp.resolve("out");
        Files.createDirectory(out);
        List<TensorEntry> again = new ArrayList<>();
        try (WeightStore s = WeightStore.open(tmp)) {
            for (String n : s.names()) {
                TensorInfo t = s.info(n);
                if (t.dtype() == DType.F16 || t.dtype() == DType.BF16 || t.dtype() == DType.F32) {
                    again.add(TensorEntry.ofFloats(n, t.shape(), s.readFloats(n), t.dtype()));
                }
            }
            WeightStore.write(out, again, 0);
            try (WeightStore o = WeightStore.open(out)) {
                for (TensorEntry t : again) assertArrayEquals(bytes(s.map(t.name())), bytes(o.map(t.name())), t.name());
            }
        }
    }

    @Test
    void ndArraysAreCreatedFromTheMappedBytes() throws Exception {
        List<TensorEntry> ts = new ArrayList<>();
        float[] v = {1.5f, -2.25f, 3f, 1e-3f, 65504f, -0f};
        ts.add(TensorEntry.ofFloats("a", new long[] {2, 3}, v, DType.F32));
        ts.add(TensorEntry.ofFloats("b", new long[] {2, 3}, v, DType.BF16));
        ts.add(TensorEntry.ofFloats("c", new long[] {2, 3}, v, DType.F16));
        WeightStore.write(tmp, ts, 0);
        try (WeightStore s = WeightStore.open(tmp); NDManager m = NDManager.newBaseManager()) {
            for (String n : List.of("a", "b", "c")) {
                NDArray a = s.toFloat32(m, n);
                assertArrayEquals(new long[] {2, 3}, a.getShape().getShape());
                assertArrayEquals(s.readFloats(n), a.toFloatArray(), n);
            }
            assertArrayEquals(v, s.toFloat32(m, "a").toFloatArray());
        }
    }

    @Test
    void readsAFileWrittenByAnIndependentNumpyWriter() throws Exception {
        Path file = tmp.resolve("np.safetensors");
        Path expected = tmp.resolve("expected.json");
        Python.run("io/st_interop.py", "write", file.toString(), expected.toString());
        JsonNode exp = new ObjectMapper().readTree(expected.toFile());
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertEquals("numpy", f.metadata().get("writer"));
            assertEquals(exp.size(), f.tensors().size());
            for (Map.Entry<String, JsonNode> e : exp.properties()) {
                TensorInfo t = f.info(e.getKey());
                assertEquals(e.getValue().get("dtype").asText(), t.dtype().name());
                long[] shape = new long[e.getValue().get("shape").size()];
                for (int i = 0; i < shape.length; i++) shape[i] = e.getValue().get("shape").get(i).asLong();
                assertArrayEquals(shape, t.shape(), e.getKey());
                assertEquals(e.getValue().get("hex").asText(), HexFormat.of().formatHex(bytes(f.map(e.getKey()))), e.getKey());
            }
            // values through the float path agree with the bytes numpy wrote
            float[] f16 = f.readFloats("f16");
            assertTrue(Float.isNaN(f16[0]));
            assertEquals(0x1p-24f, f16[1]);
            assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(f16[2]));
        }
    }

    @Test
    void ourFilesAreReadByAnIndependentNumpyReader() throws Exception {
        List<TensorEntry> ts = sample();
        WeightStore.write(tmp, ts, 0);
        JsonNode r = new ObjectMapper().enable(com.fasterxml.jackson.core.json.JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS.mappedFeature()).readTree(Python.run("io/st_interop.py", "read", tmp.resolve("model.safetensors").toString()));
        assertEquals("pt", r.get("__metadata__").get("format").asText());
        for (TensorEntry t : ts) {
            JsonNode n = r.get(t.name());
            assertEquals(t.dtype().name(), n.get("dtype").asText());
            assertEquals(HexFormat.of().formatHex(bytes(t.bytes().get())), n.get("hex").asText(), t.name());
        }
        // writer order: dtype size descending, then name
        List<String> order = new ArrayList<>();
        r.get("data_order").forEach(x -> order.add(x.asText()));
        List<String> expected = SafetensorsWriter.ordered(ts).stream().map(TensorEntry::name).toList();
        assertEquals(expected, order);
        // float sums agree with a float32 computation here
        try (WeightStore s = WeightStore.open(tmp)) {
            double sum = 0;
            for (float x : s.readFloats("t.f32")) if (!Float.isNaN(x)) sum += x;
            assertEquals(r.get("t.f32").get("sum").asDouble(), sum, Math.abs(sum) * 1e-12 + 1e-300);
        }
    }
}
