package io.otfuse.io;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link Tensors#requireFinite} against a plain count with {@link Float#isFinite}. */
class TensorsTest {
    @Test
    void nonFiniteValuesAreFoundWhereverTheyAre() {
        Random r = new Random(3);
        float[] edge = {Float.MAX_VALUE, -Float.MAX_VALUE, Float.MIN_VALUE, -0f, 0f, Float.MIN_NORMAL, 1e-40f};
        for (int len : new int[] {1, 7, 64, 1001}) {
            float[] x = new float[len];
            for (int i = 0; i < len; i++) x[i] = i < edge.length ? edge[i] : (float) r.nextGaussian() * 1e30f;
            assertDoesNotThrow(() -> Tensors.requireFinite(x, "finite"), "largest, smallest and signed-zero values are finite");
            for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.intBitsToFloat(0xffc00001)}) {
                for (int at : new int[] {0, len / 2, len - 1}) {
                    float[] y = x.clone();
                    y[at] = bad;
                    if (len > 2) y[len - 2] = bad;
                    int count = 0, first = -1;
                    for (int i = 0; i < len; i++) {
                        if (!Float.isFinite(y[i])) {
                            count++;
                            if (first < 0) first = i;
                        }
                    }
                    OtfuseException e = assertThrows(OtfuseException.class, () -> Tensors.requireFinite(y, "t"), bad + " at " + at + " of " + len);
                    assertTrue(e.getMessage().contains(count + " NaN or infinite value(s), the first at flat index " + first), e.getMessage());
                    assertEquals(ExitCode.NON_FINITE, e.exitCode());
                }
            }
        }
    }
}
