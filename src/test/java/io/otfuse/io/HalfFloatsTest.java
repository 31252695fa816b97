package io.otfuse.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class HalfFloatsTest {

    /** Independent decoding of binary16 from its definition, in double precision. */
    static double f16Reference(int bits) {
        int s = (bits >>> 15) & 1, e = (bits >>> 10) & 0x1F, m = bits & 0x3FF;
        double sign = s == 1 ? -1 : 1;
        if (e == 0) return sign * m * Math.pow(2, -24);
        if (e == 31) return m == 0 ? sign * Double.POSITIVE_INFINITY : Double.NaN;
        return sign * (1 + m / 1024.0) * Math.pow(2, e - 15);
    }

    @Test
    void everyF16DecodesToItsValueAndBackBitExactly() {
        for (int bits = 0; bits < 0x10000; bits++) {
            float f = HalfFloats.f16ToF32((short) bits);
            double ref = f16Reference(bits);
            if (Double.isNaN(ref)) {
                assertEquals(true, Float.isNaN(f), "bits " + Integer.toHexString(bits));
            } else {
                assertEquals(Double.doubleToRawLongBits(ref), Double.doubleToRawLongBits(f), "bits " + Integer.toHexString(bits));
            }
            assertEquals(bits, HalfFloats.f32ToF16(f) & 0xFFFF, "round trip of " + Integer.toHexString(bits));
        }
    }

    @Test
    void everyBf16RoundTripsBitExactly() {
        for (int bits = 0; bits < 0x10000; bits++) {
            float f = HalfFloats.bf16ToF32((short) bits);
            assertEquals(bits, HalfFloats.f32ToBf16(f) & 0xFFFF);
        }
    }

    private static final double[] F16_SORTED;
    private static final int[] F16_BITS;

    static {
        // all non-negative finite binary16 values in increasing order (bits 0..0x7BFF are monotone)
        F16_SORTED = new double[0x7C00];
        F16_BITS = new int[0x7C00];
        for (int b = 0; b < 0x7C00; b++) {
            F16_SORTED[b] = f16Reference(b);
            F16_BITS[b] = b;
        }
    }

    /** Nearest binary16 by search over all values, ties to even; overflow to infinity per IEEE. */
    static int nearestF16(float x) {
        double a = Math.abs((double) x);
        int sign = (Float.floatToRawIntBits(x) >>> 16) & 0x8000;
        double max = F16_SORTED[0x7BFF];
        double ulpAtMax = Math.pow(2, 15 - 10);
        if (a >= max + ulpAtMax / 2) return sign | 0x7C00;
        int i = Arrays.binarySearch(F16_SORTED, a);
        if (i >= 0) return sign | F16_BITS[i];
        int hi = -i - 1, lo = hi - 1;
        if (hi >= F16_SORTED.length) return sign | F16_BITS[lo];
        double dl = a - F16_SORTED[lo], dh = F16_SORTED[hi] - a;
        int pick = dl < dh ? lo : dh < dl ? hi : ((F16_BITS[lo] & 1) == 0 ? lo : hi);
        return sign | F16_BITS[pick];
    }

    @Property(tries = 20000)
    void f32ToF16RoundsToNearestEven(@ForAll float x) {
        if (Float.isNaN(x)) return;
        assertEquals(nearestF16(x), HalfFloats.f32ToF16(x) & 0xFFFF, "x=" + x);
    }

    @Test
    void f32ToF16RoundsHalfwayCasesToEven() {
        for (int b = 0; b < 0x7BFF; b++) {
            double mid = (F16_SORTED[b] + F16_SORTED[b + 1]) / 2;
            float x = (float) mid;
            if (x != mid) continue; // not representable in f32 — skip only those
            assertEquals(nearestF16(x), HalfFloats.f32ToF16(x) & 0xFFFF, "midpoint after " + Integer.toHexString(b));
            assertEquals(nearestF16(-x), HalfFloats.f32ToF16(-x) & 0xFFFF);
        }
    }

    @Property(tries = 20000)
    void f32ToBf16RoundsToNearestEven(@ForAll float x) {
        if (Float.isNaN(x)) return;
        short b = HalfFloats.f32ToBf16(x);
        double got = HalfFloats.bf16ToF32(b);
        // neighbours in bf16 of the truncated value bracket x; the result must be the nearer, ties to even
        int t = Float.floatToRawIntBits(x) >>> 16;
        double down = HalfFloats.bf16ToF32((short) t);
        double up = HalfFloats.bf16ToF32((short) (t + 1));
        // IEEE overflow: the step past the largest finite value counts as 2^128 for rounding
        double upForDistance = Double.isInfinite(up) ? Math.copySign(0x1p128, up) : up;
        double dd = Math.abs(x - down), du = Math.abs(upForDistance - x);
        double expected = dd < du ? down : du < dd ? up : ((t & 1) == 0 ? down : up);
        if (Double.isNaN(up)) expected = down;
        assertEquals(expected, got, "x=" + x);
    }
}
