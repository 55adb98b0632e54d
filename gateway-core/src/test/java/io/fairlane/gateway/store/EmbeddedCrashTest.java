package io.fairlane.gateway.store;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;

/** {@link CrashContract} on the embedded store: SQLite in WAL mode and blob files. */
class EmbeddedCrashTest extends CrashContract {

    @TempDir
    Path scratch;

    private StoreBackend backend;

    @Override
    StoreBackend backend() {
        if (backend == null) {
            backend = new StoreBackend.Embedded(scratch);
        }
        return backend;
    }

    @Override
    List<String> childArguments(StoreSettings settings) {
        return List.of("embedded", ((StoreSettings.Embedded) settings).directory().toString());
    }
}
