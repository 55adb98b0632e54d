package io.fairlane.engine.exec;

import io.fairlane.engine.model.Model;
import java.util.Objects;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * Opens {@link ExecutionBackend}s of one kind. Implementations are found with {@link ServiceLoader}, so a backend
 * that needs native libraries (CUDA through JCuda) lives in its own module and a deployment that does not need it
 * leaves that module off the classpath: the engine compiles and runs without it.
 *
 * <p>The CPU backend's provider ships with the engine; the CUDA backend's comes with the {@code gateway-cuda}
 * module. Providers must be cheap to construct: {@link #probe} and {@link #open} do the work.
 */
public interface ExecutionBackendProvider {

    /** The name the configuration uses: {@code cpu}, {@code cuda}. */
    String name();

    /** Whether {@link #open} can succeed on this machine, and if not, why; never throws, never loads a model. */
    Availability probe();

    /**
     * Opens a backend over {@code model}, taking ownership of it.
     *
     * @throws BackendUnavailableException with the reason when the hardware or the model's shape rules it out
     */
    ExecutionBackend open(Model model, BackendOptions options);

    /**
     * Whether a backend can be opened here.
     *
     * @param usable whether {@link #open} can succeed
     * @param reason a sentence for the startup log: the hardware when usable, else what is missing
     */
    record Availability(boolean usable, String reason) {
        public Availability {
            Objects.requireNonNull(reason, "reason");
        }
    }

    /** The installed provider named {@code name}, if its module is on the classpath. */
    static Optional<ExecutionBackendProvider> find(String name) {
        Objects.requireNonNull(name, "name");
        for (ExecutionBackendProvider p : ServiceLoader.load(ExecutionBackendProvider.class,
                ExecutionBackendProvider.class.getClassLoader())) {
            if (p.name().equals(name)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /**
     * The provider named {@code name}, or one that answers {@link #probe} with the reason it is missing (the module
     * that implements it is not on the classpath) and refuses {@link #open} the same way.
     */
    static ExecutionBackendProvider named(String name) {
        return find(name).orElseGet(() -> new Missing(name));
    }

    /** Stands in for a backend whose module is absent, so callers handle "not installed" like "no device". */
    record Missing(String name) implements ExecutionBackendProvider {
        @Override
        public Availability probe() {
            return new Availability(false, "the " + name + " backend is not installed (its module, gateway-" + name
                    + ", is not on the classpath)");
        }

        @Override
        public ExecutionBackend open(Model model, BackendOptions options) {
            throw new BackendUnavailableException(name.toUpperCase(java.util.Locale.ROOT) + " backend not available: "
                    + probe().reason());
        }
    }
}
