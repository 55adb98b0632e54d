package io.fairlane.engine.model;

import java.util.Optional;

/** Element types of weight tensors that Fairlane loads. */
public enum DType {
    /** bfloat16: the upper 16 bits of an IEEE float32. */
    BF16("BF16", 2),
    /** IEEE binary16. */
    F16("F16", 2),
    /** IEEE binary32. */
    F32("F32", 4);

    private final String safetensorsName;
    private final int bytes;

    DType(String safetensorsName, int bytes) {
        this.safetensorsName = safetensorsName;
        this.bytes = bytes;
    }

    /** The dtype string of a safetensors header ({@code "BF16"}). */
    public String safetensorsName() {
        return safetensorsName;
    }

    /** Bytes per element. */
    public int bytes() {
        return bytes;
    }

    /** The dtype named by a safetensors header, or empty for types Fairlane does not load. */
    public static Optional<DType> fromSafetensors(String name) {
        for (DType t : values()) {
            if (t.safetensorsName.equals(name)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    /**
     * The dtype named on a command line or in a config ({@code bf16}, {@code f16}, {@code f32}, also the
     * {@code torch_dtype} spellings {@code bfloat16}, {@code float16}, {@code float32}).
     */
    public static DType parse(String name) {
        return switch (name.toLowerCase(java.util.Locale.ROOT)) {
            case "bf16", "bfloat16" -> BF16;
            case "f16", "fp16", "float16", "half" -> F16;
            case "f32", "fp32", "float32", "float" -> F32;
            default -> throw new IllegalArgumentException("unknown dtype '" + name + "' (expected bf16, f16 or f32)");
        };
    }

    /** Lower-case name as used on the command line and in {@code torch_dtype}-free contexts. */
    public String cliName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The {@code torch_dtype} spelling written into config.json. */
    public String torchName() {
        return switch (this) {
            case BF16 -> "bfloat16";
            case F16 -> "float16";
            case F32 -> "float32";
        };
    }
}
