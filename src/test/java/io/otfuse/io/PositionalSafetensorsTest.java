package io.otfuse.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PositionalSafetensorsTest {
    @TempDir
    Path tmp;

    /** Tensors written by position in a shuffled order give the bytes of the sequential writer. */
    @Test
    void shuffledWritesGiveTheSequentialWritersBytes() throws Exception {
        List<TensorEntry> ts = SafetensorsRoundTripTest.sample();
        SafetensorsWriter.write(tmp.resolve("seq.safetensors"), ts, Map.of());
        List<TensorEntry> order = new ArrayList<>(ts);
        Collections.shuffle(order, new Random(3));
        try (PositionalSafetensors p = PositionalSafetensors.create(tmp.resolve("pos.safetensors"), ts, Map.of())) {
            for (TensorEntry t : order) p.write(t.name(), t.bytes().get());
            ByteBuffer back = p.read(order.get(0).name());
            ByteBuffer want = order.get(0).bytes().get();
            assertArrayEquals(SafetensorsRoundTripTest.bytes(want), SafetensorsRoundTripTest.bytes(back), "read back");
            p.finish();
        }
        assertArrayEquals(Files.readAllBytes(tmp.resolve("seq.safetensors")), Files.readAllBytes(tmp.resolve("pos.safetensors")));
    }

    @Test
    void unfinishedFilesAreDeletedAndMistakesRefused() {
        List<TensorEntry> ts = SafetensorsRoundTripTest.sample();
        Path f = tmp.resolve("part.safetensors");
        try (PositionalSafetensors p = PositionalSafetensors.create(f, ts, Map.of())) {
            TensorEntry t = ts.get(0);
            p.write(t.name(), t.bytes().get());
            assertThrows(IllegalStateException.class, () -> p.write(t.name(), t.bytes().get()), "written twice");
            assertThrows(IllegalArgumentException.class, () -> p.write("nope", ByteBuffer.allocate(0)), "not in the layout");
            assertThrows(IllegalStateException.class, () -> p.write(ts.get(1).name(), ByteBuffer.allocate(1)), "wrong size");
            assertThrows(IllegalStateException.class, p::finish, "tensors missing");
        }
        assertFalse(Files.exists(f), "an unfinished file is deleted on close");
    }
}
