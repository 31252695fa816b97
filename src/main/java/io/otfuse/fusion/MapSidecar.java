package io.otfuse.fusion;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

/**
 * Writer of the transport-map sidecar {@code fusion-maps.json} (format {@code otfuse-fusion-maps/1}, read by
 * {@code io.otfuse.report.FusionMaps}, which documents it): per space and non-anchor model, the block means of the
 * plan, at most {@link #MAX_SIDE} x {@link #MAX_SIDE}. The executor downsamples each plan when it is computed
 * ({@link TransportMap#blockMeans}), so full plans are never kept for the report.
 */
public final class MapSidecar {
    public static final String FILE = "fusion-maps.json";
    public static final String FORMAT = "otfuse-fusion-maps/1";
    /** Largest side of a downsampled map. */
    public static final int MAX_SIDE = 128;
    private static final ObjectMapper JSON = new ObjectMapper();

    private MapSidecar() {}

    /** One downsampled map: the space, the model index, the plan's full size {@code n x m} and its block means. */
    public record Map(String space, int model, int n, int m, double[][] values) {}

    /** The sidecar's JSON text. */
    public static String toJson(List<Map> maps) {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        ArrayNode arr = root.putArray("maps");
        for (Map e : maps) {
            int rows = e.values().length, cols = rows == 0 ? 0 : e.values()[0].length;
            ObjectNode o = arr.addObject();
            o.put("space", e.space());
            o.put("model", e.model());
            o.put("n", e.n());
            o.put("m", e.m());
            o.put("rows", rows);
            o.put("cols", cols);
            o.put("encoding", "f32le-base64");
            ByteBuffer bb = ByteBuffer.allocate(4 * rows * cols).order(ByteOrder.LITTLE_ENDIAN);
            for (double[] r : e.values()) for (double v : r) bb.putFloat((float) v);
            o.put("values", Base64.getEncoder().encodeToString(bb.array()));
        }
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
        } catch (IOException ex) {
            throw new IllegalStateException(ex);
        }
    }

    static byte[] bytes(List<Map> maps) {
        return toJson(maps).getBytes(StandardCharsets.UTF_8);
    }
}
