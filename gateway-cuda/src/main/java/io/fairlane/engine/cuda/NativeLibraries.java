package io.fairlane.engine.cuda;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Finds the native libraries the CUDA backend needs: the driver ({@code libcuda.so.1}, from the dynamic
 * loader's ordinary search) and cuBLAS, which has no fixed home. A libcublas may come with a CUDA toolkit
 * ({@code /usr/local/cuda-X/lib64}), a distribution package ({@code /usr/lib/x86_64-linux-gnu}), a folder on
 * {@code LD_LIBRARY_PATH}, or a Python wheel ({@code site-packages/nvidia/cublas/lib} for CUDA 12 wheels,
 * {@code site-packages/nvidia/cu13/lib} for CUDA 13 ones), and it may be major version 12 or 13. The search is
 * a pure function of a {@link SearchRoots} so tests can run it over a fake tree.
 */
final class NativeLibraries {

    /** Supported cuBLAS major versions, newest first. */
    static final List<Integer> CUBLAS_MAJORS = List.of(13, 12);

    private static final Pattern CUBLAS_NAME = Pattern.compile("libcublas\\.so\\.(\\d+)");

    private NativeLibraries() {
    }

    /**
     * Whether the dynamic loader can open {@code library} (by soname, searched as dlopen does).
     *
     * @return empty when it loads, else the loader's reason
     */
    static Optional<String> loadFailure(String library) {
        try {
            SymbolLookup.libraryLookup(library, Arena.global());
            return Optional.empty();
        } catch (IllegalArgumentException | UnsatisfiedLinkError e) {
            return Optional.of(Objects.requireNonNullElse(e.getMessage(), e.toString()));
        }
    }

    /** A libcublas file and its major version. */
    record CublasLibrary(Path path, int major) {
        /** libcublasLt of the same version beside it, which libcublas needs loaded first when its RUNPATH is unset. */
        Path companionLt() {
            return path.resolveSibling("libcublasLt.so." + major);
        }
    }

    /**
     * Where to look. {@link #fromSystem()} reads the real environment; tests build their own.
     *
     * @param explicit       a file named by {@code -Dfairlane.cublas.library} or {@code FAIRLANE_CUBLAS}, tried first
     * @param libraryDirs    plain folders that may hold libcublas.so.N directly, in order
     * @param sitePackages   Python site-packages / dist-packages folders (their {@code nvidia/*}{@code /lib} are searched)
     */
    record SearchRoots(Optional<Path> explicit, List<Path> libraryDirs, List<Path> sitePackages) {
        SearchRoots {
            Objects.requireNonNull(explicit, "explicit");
            libraryDirs = List.copyOf(libraryDirs);
            sitePackages = List.copyOf(sitePackages);
        }

        static SearchRoots fromSystem() {
            return from(System.getenv(), System.getProperty("fairlane.cublas.library"), Path.of("/"));
        }

        /**
         * The standard places under filesystem root {@code root} ({@code /} in production), given environment
         * {@code env}.
         */
        static SearchRoots from(Map<String, String> env, String explicitProperty, Path root) {
            Optional<Path> explicit = Optional.ofNullable(explicitProperty)
                    .or(() -> Optional.ofNullable(env.get("FAIRLANE_CUBLAS")))
                    .filter(s -> !s.isBlank())
                    .map(Path::of);
            LinkedHashSet<Path> dirs = new LinkedHashSet<>();
            String ld = env.get("LD_LIBRARY_PATH");
            if (ld != null) {
                for (String part : ld.split(":")) {
                    if (!part.isBlank()) {
                        dirs.add(Path.of(part));
                    }
                }
            }
            for (String var : List.of("CUDA_HOME", "CUDA_PATH")) {
                String home = env.get(var);
                if (home != null && !home.isBlank()) {
                    dirs.add(Path.of(home, "lib64"));
                    dirs.add(Path.of(home, "targets", "x86_64-linux", "lib"));
                }
            }
            Path local = root.resolve("usr/local");
            dirs.add(local.resolve("cuda/lib64"));
            dirs.add(local.resolve("cuda/targets/x86_64-linux/lib"));
            for (Path cuda : globDirs(local, "cuda-*").stream().sorted(Comparator.reverseOrder()).toList()) {
                dirs.add(cuda.resolve("lib64"));
                dirs.add(cuda.resolve("targets/x86_64-linux/lib"));
            }
            dirs.add(root.resolve("usr/lib/x86_64-linux-gnu"));
            dirs.add(root.resolve("usr/lib64"));
            String conda = env.get("CONDA_PREFIX");
            if (conda != null && !conda.isBlank()) {
                dirs.add(Path.of(conda, "lib"));
            }

            LinkedHashSet<Path> site = new LinkedHashSet<>();
            for (String var : List.of("VIRTUAL_ENV", "CONDA_PREFIX")) {
                String prefix = env.get(var);
                if (prefix != null && !prefix.isBlank()) {
                    site.addAll(pythonSiteDirs(Path.of(prefix, "lib")));
                }
            }
            String home = env.get("HOME");
            if (home != null && !home.isBlank()) {
                site.addAll(pythonSiteDirs(Path.of(home, ".local", "lib")));
            }
            site.addAll(pythonSiteDirs(root.resolve("usr/local/lib")));
            site.addAll(pythonSiteDirs(root.resolve("usr/lib")));
            site.add(root.resolve("usr/lib/python3/dist-packages"));
            // Virtual environments and conda installs under /opt (e.g. /opt/torch/.venv, /opt/conda).
            for (Path opt : globDirs(root.resolve("opt"), "*")) {
                site.addAll(pythonSiteDirs(opt.resolve("lib")));
                site.addAll(pythonSiteDirs(opt.resolve(".venv/lib")));
                site.addAll(pythonSiteDirs(opt.resolve("venv/lib")));
            }
            return new SearchRoots(explicit, List.copyOf(dirs), List.copyOf(site));
        }

        private static List<Path> pythonSiteDirs(Path lib) {
            List<Path> out = new ArrayList<>();
            for (Path py : globDirs(lib, "python3*").stream().sorted(Comparator.reverseOrder()).toList()) {
                out.add(py.resolve("site-packages"));
                out.add(py.resolve("dist-packages"));
            }
            return out;
        }
    }

    /**
     * Every libcublas found, in search order: the explicit file, then library folders, then Python wheels.
     * Each folder contributes its versions newest first.
     */
    static List<CublasLibrary> findCublas(SearchRoots roots) {
        List<CublasLibrary> found = new ArrayList<>();
        roots.explicit().filter(Files::isRegularFile).ifPresent(p -> {
            Matcher m = CUBLAS_NAME.matcher(p.getFileName().toString());
            found.add(new CublasLibrary(p, m.matches() ? Integer.parseInt(m.group(1)) : CUBLAS_MAJORS.getFirst()));
        });
        for (Path dir : roots.libraryDirs()) {
            addFrom(dir, found);
        }
        for (Path site : roots.sitePackages()) {
            for (Path lib : globDirs(site.resolve("nvidia"), "*").stream().sorted().toList()) {
                addFrom(lib.resolve("lib"), found);
            }
        }
        return found.stream().distinct().toList();
    }

    /**
     * The library to load for a driver of version {@code driverVersion} (as cuDriverGetVersion reports it,
     * 1000 * major + 10 * minor): the first found whose major the driver supports, preferring newer majors.
     */
    static Optional<CublasLibrary> chooseCublas(List<CublasLibrary> found, int driverVersion) {
        int driverMajor = driverVersion / 1000;
        for (int major : CUBLAS_MAJORS) {
            if (major > driverMajor) {
                continue;
            }
            for (CublasLibrary lib : found) {
                if (lib.major() == major) {
                    return Optional.of(lib);
                }
            }
        }
        return Optional.empty();
    }

    private static void addFrom(Path dir, List<CublasLibrary> found) {
        for (int major : CUBLAS_MAJORS) {
            Path candidate = dir.resolve("libcublas.so." + major);
            if (Files.exists(candidate)) {
                found.add(new CublasLibrary(candidate, major));
            }
        }
    }

    private static List<Path> globDirs(Path dir, String glob) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, glob)) {
            for (Path p : stream) {
                if (Files.isDirectory(p)) {
                    out.add(p);
                }
            }
        } catch (IOException | SecurityException e) {
            return List.of();
        }
        return out;
    }

    /** Human-readable list of where cuBLAS was looked for, for the "not found" message. */
    static String describe(SearchRoots roots) {
        return Stream.concat(roots.libraryDirs().stream().map(Path::toString),
                        Stream.of("<python site-packages>/nvidia/*/lib"))
                .distinct()
                .limit(12)
                .reduce((a, b) -> a + ", " + b)
                .orElse("");
    }
}
