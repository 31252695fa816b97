package io.otfuse.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
    @TempDir
    Path tmp;

    /** A small random checkpoint of the given config, written with the project's writer. */
    static Path write(Path dir, ModelConfig c, DType dtype, long seed) {
        Random r = new Random(seed);
        List<TensorEntry> ts = new ArrayList<>();
        for (Map.Entry<String, long[]> e : HfLayout.expected(c).entrySet()) {
            float[] v = new float[(int) TensorInfo.numel(e.getValue())];
            for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian() * 0.2f;
            ts.add(TensorEntry.ofFloats(e.getKey(), e.getValue(), v, dtype));
        }
        return new CheckpointWriter(dir, false).config(c).tensors(ts).write();
    }

    static VitConfig tinyVit() {
        return VitConfig.create(12, 2, 3, 20, 8, 4, 1, List.of("a", "b", "c"));
    }

    @Test
    void vitAndBertCheckpointsRoundTripWithConfig() throws Exception {
        Path v = write(tmp.resolve("vit"), tinyVit(), DType.BF16, 1);
        try (Checkpoint c = Checkpoint.open(v)) {
            VitConfig vc = (VitConfig) c.config();
            assertEquals(12, vc.hiddenSize);
            assertEquals(5, vc.seqLength());
            assertEquals(List.of("a", "b", "c"), vc.labels);
            assertEquals(DType.BF16, c.weights().mainFloatType());
            assertArrayEquals(new long[] {12, 1, 4, 4}, c.info("vit.embeddings.patch_embeddings.projection.weight").shape());
        }
        Path b = write(tmp.resolve("bert"), BertConfig.create(16, 1, 2, 24, 50, 32), DType.F16, 2);
        try (Checkpoint c = Checkpoint.open(b)) {
            assertEquals(50, ((BertConfig) c.config()).vocabSize);
            assertEquals(ModelConfig.Family.BERT, c.config().family());
        }
    }

    @Test
    void unknownConfigFieldsArePreservedOnWrite() throws Exception {
        Path v = write(tmp.resolve("vit"), tinyVit(), DType.F32, 1);
        ObjectNode o = (ObjectNode) new ObjectMapper().readTree(v.resolve("config.json").toFile());
        o.put("my_custom_field", "keep me");
        o.putObject("nested").put("x", 3);
        Files.writeString(v.resolve("config.json"), o.toString());
        ModelConfig c = ModelConfig.read(v).withWidths(24, 40, 4);
        Path out = tmp.resolve("out");
        Files.createDirectory(out);
        c.write(out);
        JsonNode back = new ObjectMapper().readTree(out.resolve("config.json").toFile());
        assertEquals("keep me", back.get("my_custom_field").asText());
        assertEquals(3, back.get("nested").get("x").asInt());
        assertEquals(24, back.get("hidden_size").asInt());
        assertEquals(4, back.get("num_attention_heads").asInt());
        assertEquals("ViTForImageClassification", back.get("architectures").get(0).asText());
    }

    @Test
    void configErrorsNameTheField() throws Exception {
        Path v = write(tmp.resolve("vit"), tinyVit(), DType.F32, 1);
        ObjectNode o = (ObjectNode) new ObjectMapper().readTree(v.resolve("config.json").toFile());
        o.put("num_attention_heads", 5);
        Files.writeString(v.resolve("config.json"), o.toString());
        OtfuseException e = assertThrows(OtfuseException.class, () -> Checkpoint.open(v));
        assertEquals(ExitCode.BAD_CONFIG, e.exitCode());
        assertTrue(e.getMessage().contains("'num_attention_heads'") && e.getMessage().contains("not divisible"), e.getMessage());
        o.put("num_attention_heads", "three");
        Files.writeString(v.resolve("config.json"), o.toString());
        e = assertThrows(OtfuseException.class, () -> Checkpoint.open(v));
        assertTrue(e.getMessage().contains("expected an integer"), e.getMessage());
        o.put("model_type", "gpt2");
        Files.writeString(v.resolve("config.json"), o.toString());
        e = assertThrows(OtfuseException.class, () -> Checkpoint.open(v));
        assertTrue(e.getMessage().contains("not supported"), e.getMessage());
        Files.writeString(v.resolve("config.json"), "{\"model_type\": ");
        e = assertThrows(OtfuseException.class, () -> Checkpoint.open(v));
        assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());
        Files.delete(v.resolve("config.json"));
        e = assertThrows(OtfuseException.class, () -> Checkpoint.open(v));
        assertTrue(e.getMessage().contains("missing"), e.getMessage());
    }

    @Test
    void tensorsMustMatchTheConfig() throws Exception {
        Path v = write(tmp.resolve("vit"), tinyVit(), DType.F32, 1);
        // a config with one more layer than the weights
        ObjectNode o = (ObjectNode) new ObjectMapper().readTree(v.resolve("config.json").toFile());
        o.put("num_hidden_layers", 3);
        Files.writeString(v.resolve("config.json"), o.toString());
        OtfuseException e = assertThrows(OtfuseException.class, () -> Checkpoint.open(v));
        assertEquals(ExitCode.BAD_CHECKPOINT, e.exitCode());
        assertTrue(e.getMessage().contains("missing"), e.getMessage());
        o.put("num_hidden_layers", 1);
        Files.writeString(v.resolve("config.json"), o.toString());
        e = assertThrows(OtfuseException.class, () -> Checkpoint.open(v));
        assertTrue(e.getMessage().contains("unexpected tensor 'vit.encoder.layer.1."), e.getMessage());
        o.put("num_hidden_layers", 2);
        o.put("intermediate_size", 21);
        Files.writeString(v.resolve("config.json"), o.toString());
        e = assertThrows(OtfuseException.class, () -> Checkpoint.open(v));
        assertTrue(e.getMessage().contains("has shape [20, 12] but config.json implies [21, 12]"), e.getMessage());
    }

    @Test
    void failedWritesLeaveNothingAndExistingOutputsAreRefused() throws Exception {
        Path dest = tmp.resolve("out");
        CheckpointWriter w = new CheckpointWriter(dest, false).config(tinyVit())
                .tensor(TensorEntry.ofFloats("x", new long[] {1}, new float[] {1}, DType.F32))
                .tensor(new TensorEntry("y", DType.F32, new long[] {2}, () -> { throw new IllegalStateException("boom"); }));
        assertThrows(IllegalStateException.class, w::write);
        try (var l = Files.list(tmp)) {
            assertEquals(0, l.count(), "no temporary or partial output left");
        }
        write(dest, tinyVit(), DType.F32, 3);
        OtfuseException e = assertThrows(OtfuseException.class, () -> write(dest, tinyVit(), DType.F32, 4));
        assertEquals(ExitCode.OUTPUT_EXISTS, e.exitCode());
        float[] before;
        try (Checkpoint c = Checkpoint.open(dest)) {
            before = c.readFloats("classifier.bias");
        }
        new CheckpointWriter(dest, true).config(tinyVit()).tensors(List.of()).write();
        assertFalse(Files.exists(dest.resolve("model.safetensors.index.json")));
        assertTrue(before.length == 3);
        e = assertThrows(OtfuseException.class, () -> CheckpointWriter.checkDestination(dest, true, List.of(dest)));
        assertTrue(e.getMessage().contains("is (or contains) the input"));
    }
}
