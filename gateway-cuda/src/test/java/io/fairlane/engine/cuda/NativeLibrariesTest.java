package io.fairlane.engine.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NativeLibrariesTest {

    @TempDir
    Path root;

    private Path touch(String relative) throws IOException {
        Path p = root.resolve(relative);
        Files.createDirectories(p.getParent());
        Files.writeString(p, "");
        return p;
    }

    @Test
    void findCublas_toolkitAndCuda13Wheel_findsBothToolkitFirst() throws IOException {
        Path toolkit = touch("usr/local/cuda-12.4/lib64/libcublas.so.12");
        Path wheel = touch("opt/torch/.venv/lib/python3.12/site-packages/nvidia/cu13/lib/libcublas.so.13");
        var found = NativeLibraries.findCublas(NativeLibraries.SearchRoots.from(Map.of(), null, root));
        assertThat(found).extracting(NativeLibraries.CublasLibrary::path).containsExactly(toolkit, wheel);
    }

    @Test
    void findCublas_cuda12WheelUnderDistPackages_isFound() throws IOException {
        Path wheel = touch("usr/local/lib/python3.11/dist-packages/nvidia/cublas/lib/libcublas.so.12");
        var found = NativeLibraries.findCublas(NativeLibraries.SearchRoots.from(Map.of(), null, root));
        assertThat(found).containsExactly(new NativeLibraries.CublasLibrary(wheel, 12));
    }

    @Test
    void findCublas_ldLibraryPath_comesBeforeStandardFolders() throws IOException {
        Path custom = touch("custom/libcublas.so.13");
        touch("usr/local/cuda/lib64/libcublas.so.13");
        var roots = NativeLibraries.SearchRoots.from(
                Map.of("LD_LIBRARY_PATH", root.resolve("custom").toString()), null, root);
        assertThat(NativeLibraries.findCublas(roots).getFirst().path()).isEqualTo(custom);
    }

    @Test
    void findCublas_explicitProperty_isTriedFirst() throws IOException {
        Path explicit = touch("elsewhere/libcublas.so.12");
        touch("usr/local/cuda/lib64/libcublas.so.13");
        var roots = NativeLibraries.SearchRoots.from(Map.of(), explicit.toString(), root);
        assertThat(NativeLibraries.findCublas(roots).getFirst())
                .isEqualTo(new NativeLibraries.CublasLibrary(explicit, 12));
    }

    @Test
    void findCublas_nothingInstalled_findsNothing() {
        assertThat(NativeLibraries.findCublas(NativeLibraries.SearchRoots.from(Map.of(), null, root))).isEmpty();
    }

    @Test
    void chooseCublas_cuda12Driver_skipsVersion13() {
        var v13 = new NativeLibraries.CublasLibrary(Path.of("/a/libcublas.so.13"), 13);
        var v12 = new NativeLibraries.CublasLibrary(Path.of("/b/libcublas.so.12"), 12);
        assertThat(NativeLibraries.chooseCublas(List.of(v13, v12), 12080)).contains(v12);
    }

    @Test
    void chooseCublas_cuda13Driver_prefersVersion13() {
        var v12 = new NativeLibraries.CublasLibrary(Path.of("/b/libcublas.so.12"), 12);
        var v13 = new NativeLibraries.CublasLibrary(Path.of("/a/libcublas.so.13"), 13);
        assertThat(NativeLibraries.chooseCublas(List.of(v12, v13), 13000)).contains(v13);
    }

    @Test
    void chooseCublas_driverTooOld_choosesNothing() {
        var v12 = new NativeLibraries.CublasLibrary(Path.of("/b/libcublas.so.12"), 12);
        assertThat(NativeLibraries.chooseCublas(List.of(v12), 11080)).isEmpty();
    }

    @Test
    void loadFailure_absentLibrary_returnsTheLoadersReason() {
        assertThat(NativeLibraries.loadFailure("libfairlane-does-not-exist.so.7")).isPresent();
    }
}
