package io.otfuse.robust;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.otfuse.io.HfLayout;
import io.otfuse.io.ModelConfig;
import io.otfuse.io.OtfuseException;
import io.otfuse.io.SafetensorsFile;
import io.otfuse.io.TensorInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Jazzer harnesses for the readers: any exception other than {@link OtfuseException} (and any crash, hang or
 * out-of-memory) is a bug. In a normal test run each harness replays its seed inputs
 * ({@code src/test/resources/io/otfuse/robust/ReaderFuzzTestInputs/<method>/}); {@code bench/fuzz} fuzzes them
 * with {@code JAZZER_FUZZ=1}.
 */
class ReaderFuzzTest {
    private static final Path DIR;

    static {
        try {
            Path shm = Path.of("/dev/shm");
            DIR = Files.createTempDirectory(Files.isDirectory(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir")), "otfuse-fuzz-");
            DIR.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path put(String name, byte[] data) {
        Path f = DIR.resolve(name);
        try {
            Files.write(f, data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        f.toFile().deleteOnExit();
        return f;
    }

    /** Opens (validates) a safetensors file and reads every tensor it declares. */
    @FuzzTest(maxDuration = "40m", maxExecutions = 1_000_000)
    void safetensors(byte[] data) {
        Path f = put("model.safetensors", data);
        try (SafetensorsFile st = SafetensorsFile.open(f)) {
            for (TensorInfo t : st.tensors().values()) {
                if (t.byteSize() <= 1 << 20 && t.dtype().isFloating()) st.readFloats(t.name());
                else st.map(t.name());
            }
        } catch (OtfuseException expected) {
            // a one-line user error: fine
        }
    }

    /** Parses config.json and the tensor layout it implies. */
    @FuzzTest(maxDuration = "40m", maxExecutions = 1_000_000)
    void config(byte[] data) {
        put(ModelConfig.FILE, data);
        try {
            ModelConfig c = ModelConfig.read(DIR);
            for (long[] shape : HfLayout.expected(c).values()) TensorInfo.numel(shape);
            c.toJson();
        } catch (OtfuseException expected) {
            // a one-line user error: fine
        }
    }
}
