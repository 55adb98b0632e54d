package io.fairlane.engine.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The compiled kernel modules on the classpath: {@code io/fairlane/engine/cuda/kernels/<name>.fatbin}, listed in
 * {@code modules.txt}, both written by {@code src/main/cuda/build-kernels.sh} when nvcc was present at build
 * time. Each fatbin holds machine code for sm_80, sm_86, sm_89 and sm_90 and compute_90 PTX, which the driver
 * JIT-compiles on newer GPUs.
 */
final class KernelModules {

    static final String ROOT = "/io/fairlane/engine/cuda/kernels/";

    /** @param name module name (the .cu file's base name); @param image the fatbin bytes */
    record Module(String name, byte[] image) {
        @Override
        public String toString() {
            return "Module[" + name + ", " + image.length + " bytes]";
        }
    }

    private KernelModules() {
    }

    /** Module names, empty when the kernels were not built. */
    static List<String> names() {
        try (InputStream in = KernelModules.class.getResourceAsStream(ROOT + "modules.txt")) {
            if (in == null) {
                return List.of();
            }
            List<String> names = new ArrayList<>();
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank()) {
                    names.add(line.strip());
                }
            }
            return List.copyOf(names);
        } catch (IOException e) {
            throw new UncheckedIOException("reading the CUDA kernel module list", e);
        }
    }

    static boolean available() {
        return !names().isEmpty();
    }

    /** Why the modules cannot be loaded, or null when they can. */
    static String unavailableReason() {
        return available() ? null
                : "the CUDA kernels were not built into this distribution (nvcc was not found when gateway-cuda was"
                        + " built; build it on a machine with the CUDA toolkit, see docs/cuda.md)";
    }

    static List<Module> load() {
        List<String> names = names();
        if (names.isEmpty()) {
            throw new IllegalStateException(unavailableReason());
        }
        List<Module> modules = new ArrayList<>();
        for (String name : names) {
            try (InputStream in = KernelModules.class.getResourceAsStream(ROOT + name + ".fatbin")) {
                if (in == null) {
                    throw new IllegalStateException("kernel module " + name + ".fatbin is listed but missing");
                }
                modules.add(new Module(name, in.readAllBytes()));
            } catch (IOException e) {
                throw new UncheckedIOException("reading kernel module " + name, e);
            }
        }
        return List.copyOf(modules);
    }
}
