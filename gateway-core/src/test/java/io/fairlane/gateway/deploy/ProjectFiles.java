package io.fairlane.gateway.deploy;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the checkout's files (docker/, config/) from a test, whatever directory the test runs in. */
final class ProjectFiles {

    private ProjectFiles() {
    }

    /** The project root: the {@code fairlane.project.root} property surefire sets, else the parent of the module. */
    static Path root() {
        String property = System.getProperty("fairlane.project.root");
        Path root = property != null ? Path.of(property) : Path.of("").toAbsolutePath().getParent();
        if (!Files.isDirectory(root.resolve("docker"))) {
            throw new IllegalStateException("project root " + root + " has no docker/ folder");
        }
        return root;
    }

    static Path docker() {
        return root().resolve("docker");
    }
}
