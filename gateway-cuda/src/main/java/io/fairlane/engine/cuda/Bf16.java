package io.fairlane.engine.cuda;

/**
 * bfloat16 conversions with the device's rounding (round to nearest, ties to even; NaN stays a quiet NaN),
 * used when weights arrive as f32 or f16 and by the tests' references.
 */
final class Bf16 {

    private Bf16() {
    }

    static short fromFloat(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            return (short) ((bits >>> 16) | 0x40);
        }
        bits += 0x7fff + ((bits >>> 16) & 1);
        return (short) (bits >>> 16);
    }

    static float toFloat(short b) {
        return Float.intBitsToFloat((b & 0xffff) << 16);
    }

    /** The float a value becomes after a round trip through bf16. */
    static float round(float f) {
        return toFloat(fromFloat(f));
    }
}
