package io.otfuse.fusion;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Activation features: each neuron's samples, normalised per neuron, against a double-precision definition. */
class NeuronColumnsTest {
    /** Column j of the row-major [r x w] matrix normalised by mode, computed column by column in double. */
    private static double[] reference(float[] rows, int r, int w, int j, String mode) {
        double[] col = new double[r];
        for (int i = 0; i < r; i++) col[i] = rows[i * w + j];
        double mean = 0, sq = 0, l2 = 0;
        for (double v : col) mean += v;
        mean /= r;
        for (double v : col) {
            sq += (v - mean) * (v - mean);
            l2 += v * v;
        }
        double std = Math.sqrt(sq / (r - 1));
        double[] out = new double[r];
        for (int i = 0; i < r; i++) {
            out[i] = switch (mode) {
                case "standardise" -> (col[i] - mean) / (std + 1e-9);
                case "centre" -> col[i] - mean;
                case "l2" -> col[i] / (Math.sqrt(l2) + 1e-9);
                default -> col[i];
            };
        }
        return out;
    }

    @Test
    void everyModeMatchesTheDefinitionAcrossTileEdges() {
        Random rnd = new Random(7);
        // small and uneven sizes, each block written at an offset of a wider array
        int[][] shapes = {{1, 1}, {5, 3}, {16, 16}, {37, 19}, {200, 33}, {33, 200}};
        for (int[] sh : shapes) {
            int r = sh[0], w = sh[1];
            float[] rows = new float[r * w];
            for (int i = 0; i < rows.length; i++) rows[i] = (float) (3 + 2 * rnd.nextGaussian());
            for (String mode : new String[] {"standardise", "centre", "l2", "none"}) {
                if (mode.equals("standardise") && r < 2) continue; // no spread from one sample
                int at = 3, stride = w + 5; // the block starts at 3 and each sample's row is 5 longer than its neurons
                float[] out = new float[at + (r - 1) * stride + w + 4];
                java.util.Arrays.fill(out, Float.NaN);
                Activations.neuronColumns(rows, r, w, out, at, stride, mode);
                for (int j = 0; j < w; j++) {
                    double[] ref = reference(rows, r, w, j, mode);
                    for (int i = 0; i < r; i++) {
                        double tol = 2e-7 * Math.max(1, Math.abs(ref[i])); // one float rounding of the double value
                        assertEquals(ref[i], out[at + i * stride + j], tol, mode + " " + r + "x" + w + " neuron " + j + " sample " + i);
                    }
                }
                for (int i = 0; i < r; i++) {
                    for (int j = w; j < stride && at + i * stride + j < out.length; j++) {
                        assertEquals(Float.NaN, out[at + i * stride + j], "untouched gap after sample " + i + " (" + mode + ")");
                    }
                }
                for (int i = 0; i < at; i++) assertEquals(Float.NaN, out[i], "untouched before the block");
            }
        }
    }

    @Test
    void constantNeuronsStandardiseToZero() {
        int r = 20, w = 3;
        float[] rows = new float[r * w];
        for (int i = 0; i < r; i++) {
            rows[i * w] = 4.5f;
            rows[i * w + 1] = i;
            rows[i * w + 2] = -1f;
        }
        float[] out = new float[r * w];
        Activations.neuronColumns(rows, r, w, out, 0, w, "standardise");
        for (int i = 0; i < r; i++) {
            assertEquals(0f, out[i * w], "constant neuron 0");
            assertEquals(0f, out[i * w + 2], "constant neuron 2");
        }
    }
}
