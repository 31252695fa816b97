package io.otfuse.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.otfuse.io.AtomicFiles;
import io.otfuse.io.ExitCode;
import io.otfuse.io.OtfuseException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * The sidecar {@code fusion-maps.json} next to {@code fusion-report.json}: downsampled transport maps, one per
 * space and model, for the report's heatmaps (the report JSON itself carries no maps: a 3072 x 3072 plan is 75 MB).
 *
 * <pre>
 * { "format": "otfuse-fusion-maps/1",
 *   "maps": [ { "space": "mlp@0", "model": 1, "n": 3072, "m": 3072, "rows": 128, "cols": 128,
 *               "encoding": "f32le-base64", "values": "..." } ] }
 * </pre>
 * Each entry holds the block means ({@link Downsample}) of the model-k-to-anchor plan ({@code n x m}, row-major),
 * as {@code rows x cols} little-endian float32 in base64; {@code "values"} may instead be a JSON array of rows.
 */
public final class FusionMaps {
    public static final String FILE = io.otfuse.fusion.MapSidecar.FILE;
    public static final String FORMAT = io.otfuse.fusion.MapSidecar.FORMAT;
    private static final ObjectMapper JSON = new ObjectMapper();

    private FusionMaps() {}

    /** One downsampled map: space id, model index, the plan's full size {@code n x m} and its block means. */
    public record Entry(String space, int model, int n, int m, double[][] values) {
        public int rows() {
            return values.length;
        }

        public int cols() {
            return values.length == 0 ? 0 : values[0].length;
        }

        /** Downsamples a row-major {@code n x m} plan to at most {@code maxSide} x {@code maxSide} block means. */
        public static Entry of(String space, int model, double[] plan, int n, int m, int maxSide) {
            return new Entry(space, model, n, m, Downsample.blockMean(plan, n, m, maxSide));
        }
    }

    /** Writes the sidecar atomically. */
    public static void write(Path file, List<Entry> maps) {
        AtomicFiles.writeString(file, toJson(maps));
    }

    /** The sidecar's text (written by {@link io.otfuse.fusion.MapSidecar}, as {@code otfuse fuse} writes it). */
    public static String toJson(List<Entry> maps) {
        return io.otfuse.fusion.MapSidecar.toJson(maps.stream()
                .map(e -> new io.otfuse.fusion.MapSidecar.Map(e.space(), e.model(), e.n(), e.m(), e.values())).toList());
    }

    /** Reads a sidecar; a one-line error names the file and what is wrong. */
    public static List<Entry> read(Path file) {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(file));
        } catch (IOException ex) {
            throw new OtfuseException(ExitCode.IO_FAILURE, file + ": cannot read transport maps (" + ex.getMessage().split("\n")[0] + ")", ex);
        }
        return parse(root, file.toString());
    }

    static List<Entry> parse(JsonNode root, String where) {
        if (root == null || !root.path("maps").isArray())
            throw new OtfuseException(ExitCode.BAD_CONFIG, where + ": not a transport-map sidecar (no \"maps\" array)");
        List<Entry> out = new ArrayList<>();
        int i = 0;
        for (JsonNode o : root.path("maps")) {
            String at = where + ": maps[" + i++ + "]";
            int rows = o.path("rows").asInt(-1), cols = o.path("cols").asInt(-1);
            JsonNode v = o.path("values");
            double[][] values;
            if (v.isTextual()) {
                String enc = o.path("encoding").asText("f32le-base64");
                if (!enc.equals("f32le-base64")) throw new OtfuseException(ExitCode.BAD_CONFIG, at + ": unknown encoding '" + enc + "'");
                if (rows < 1 || cols < 1) throw new OtfuseException(ExitCode.BAD_CONFIG, at + ": rows and cols must be positive");
                byte[] bytes;
                try {
                    bytes = Base64.getDecoder().decode(v.asText());
                } catch (IllegalArgumentException ex) {
                    throw new OtfuseException(ExitCode.BAD_CONFIG, at + ": values are not base64 (" + ex.getMessage() + ")");
                }
                if (bytes.length != 4L * rows * cols)
                    throw new OtfuseException(ExitCode.BAD_CONFIG, at + ": " + bytes.length + " bytes of values for " + rows + " x " + cols + " float32");
                ByteBuffer bb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
                values = new double[rows][cols];
                for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) values[r][c] = bb.getFloat();
            } else if (v.isArray() && v.size() > 0) {
                values = new double[v.size()][];
                for (int r = 0; r < v.size(); r++) {
                    JsonNode row = v.get(r);
                    if (!row.isArray() || (r > 0 && row.size() != values[0].length) || row.size() == 0)
                        throw new OtfuseException(ExitCode.BAD_CONFIG, at + ": values must be a non-empty rectangular array of rows");
                    values[r] = new double[row.size()];
                    for (int c = 0; c < row.size(); c++) values[r][c] = row.get(c).asDouble(Double.NaN);
                }
            } else {
                throw new OtfuseException(ExitCode.BAD_CONFIG, at + ": no values");
            }
            int n = o.path("n").asInt(values.length), m = o.path("m").asInt(values[0].length);
            out.add(new Entry(o.path("space").asText("?"), o.path("model").asInt(1), n, m, values));
        }
        return out;
    }
}
