package io.fairlane.gateway.batches;

import io.fairlane.gateway.store.StoreBackend;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** {@link BatchRunnerContract} on the embedded SQLite store. */
class EmbeddedBatchRunnerTest extends BatchRunnerContract {

    @TempDir
    Path scratch;

    @Override
    StoreBackend backend() {
        return new StoreBackend.Embedded(scratch);
    }
}
