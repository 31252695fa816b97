package io.otfuse.model.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.otfuse.io.ExitCode;
import io.otfuse.io.OtfuseException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The image normalisation of an HF {@code preprocessor_config.json} ({@code ViTImageProcessor} fields):
 * {@code pixel = (byte * rescale_factor - mean[c]) / std[c]} when {@code do_normalize}, else just rescaled.
 * Resizing is not performed: images must already have the model's size.
 */
public record Preprocessor(double rescaleFactor, boolean doRescale, boolean doNormalize, double[] mean, double[] std, int height, int width) {
    public static final String FILE = "preprocessor_config.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Per-channel mean and std of a data set (after rescaling by 1/255). */
    public static Preprocessor fit(ImageSet set) {
        int c = set.channels(), hw = set.height() * set.width();
        double[] sum = new double[c], sq = new double[c];
        byte[] p = set.pixels();
        for (int i = 0; i < set.size(); i++)
            for (int ch = 0; ch < c; ch++) {
                int off = (i * c + ch) * hw;
                for (int k = 0; k < hw; k++) {
                    double v = (p[off + k] & 0xff) / 255.0;
                    sum[ch] += v;
                    sq[ch] += v * v;
                }
            }
        double n = (double) set.size() * hw;
        double[] mean = new double[c], std = new double[c];
        for (int ch = 0; ch < c; ch++) {
            mean[ch] = round4(sum[ch] / n);
            std[ch] = round4(Math.sqrt(sq[ch] / n - (sum[ch] / n) * (sum[ch] / n)));
        }
        return new Preprocessor(1 / 255.0, true, true, mean, std, set.height(), set.width());
    }

    static double round4(double v) {
        return Math.round(v * 1e4) / 1e4;
    }

    public byte[] toJson() {
        ObjectNode o = JSON.createObjectNode();
        o.put("do_normalize", doNormalize);
        o.put("do_rescale", doRescale);
        o.put("do_resize", false);
        o.put("image_processor_type", "ViTImageProcessor");
        var m = o.putArray("image_mean");
        for (double v : mean) m.add(v);
        var s = o.putArray("image_std");
        for (double v : std) s.add(v);
        o.put("resample", 2);
        o.put("rescale_factor", rescaleFactor);
        ObjectNode size = o.putObject("size");
        size.put("height", height);
        size.put("width", width);
        try {
            return (JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Reads a checkpoint's preprocessor_config.json; HF defaults (mean = std = 0.5) when absent. */
    public static Preprocessor read(Path dir, int channels, int size) {
        Path f = dir.resolve(FILE);
        if (!Files.isRegularFile(f)) {
            double[] half = new double[channels];
            java.util.Arrays.fill(half, 0.5);
            return new Preprocessor(1 / 255.0, true, true, half, half.clone(), size, size);
        }
        try {
            JsonNode o = JSON.readTree(Files.readAllBytes(f));
            double rf = o.path("rescale_factor").asDouble(1 / 255.0);
            boolean dr = o.path("do_rescale").asBoolean(true);
            boolean dn = o.path("do_normalize").asBoolean(true);
            double[] mean = vec(o.get("image_mean"), channels, f, "image_mean");
            double[] std = vec(o.get("image_std"), channels, f, "image_std");
            for (double v : std) if (!(v > 0)) throw new OtfuseException(ExitCode.BAD_CONFIG, f + ": field 'image_std': must be positive");
            int h = o.path("size").path("height").asInt(size), w = o.path("size").path("width").asInt(size);
            return new Preprocessor(rf, dr, dn, mean, std, h, w);
        } catch (IOException e) {
            throw new OtfuseException(ExitCode.BAD_CONFIG, f + ": not valid JSON: " + e.getMessage().split("\n")[0], e);
        }
    }

    static double[] vec(JsonNode n, int channels, Path f, String field) {
        double[] v = new double[channels];
        if (n == null || n.isNull()) {
            java.util.Arrays.fill(v, 0.5);
            return v;
        }
        if (n.isNumber()) {
            java.util.Arrays.fill(v, n.asDouble());
            return v;
        }
        if (!n.isArray() || (n.size() != channels && n.size() != 1)) {
            throw new OtfuseException(ExitCode.BAD_CONFIG, f + ": field '" + field + "': expected " + channels + " numbers");
        }
        for (int i = 0; i < channels; i++) v[i] = n.get(n.size() == 1 ? 0 : i).asDouble();
        return v;
    }

    /** A normalised batch [B, C, H, W] of the images {@code idx}, owned by {@code m} (no augmentation). */
    public ai.djl.ndarray.NDArray batch(ai.djl.ndarray.NDManager m, ImageSet set, int[] idx) {
        float[] buf = new float[idx.length * set.imageBytes()];
        normalise(set, idx, buf, null, 0, false);
        return m.create(buf, new ai.djl.ndarray.types.Shape(idx.length, set.channels(), set.height(), set.width()));
    }

    /** Writes normalised floats of images {@code idx} into {@code out} (B × C × H × W). */
    public void normalise(ImageSet set, int[] idx, float[] out, java.util.Random augment, int cropPad, boolean flip) {
        int c = set.channels(), h = set.height(), w = set.width(), ib = set.imageBytes();
        float[][] lut = new float[c][256];
        for (int ch = 0; ch < c; ch++)
            for (int v = 0; v < 256; v++) {
                double x = doRescale ? v * rescaleFactor : v;
                lut[ch][v] = (float) (doNormalize ? (x - mean[ch]) / std[ch] : x);
            }
        byte[] px = set.pixels();
        for (int b = 0; b < idx.length; b++) {
            int src = idx[b] * ib, dst = b * ib;
            int dy = 0, dx = 0;
            boolean fl = false;
            if (augment != null) {
                if (cropPad > 0) {
                    dy = augment.nextInt(2 * cropPad + 1) - cropPad;
                    dx = augment.nextInt(2 * cropPad + 1) - cropPad;
                }
                if (flip) fl = augment.nextBoolean();
            }
            for (int ch = 0; ch < c; ch++) {
                float zero = lut[ch][0];
                for (int y = 0; y < h; y++) {
                    int sy = y + dy;
                    for (int x = 0; x < w; x++) {
                        int sx = (fl ? w - 1 - x : x) + dx;
                        out[dst + (ch * h + y) * w + x] = (sy < 0 || sy >= h || sx < 0 || sx >= w) ? zero : lut[ch][px[src + (ch * h + sy) * w + sx] & 0xff];
                    }
                }
            }
        }
    }
}
