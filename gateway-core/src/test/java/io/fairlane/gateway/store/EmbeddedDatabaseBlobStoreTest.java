package io.fairlane.gateway.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link DatabaseBlobStoreContract} on the embedded SQLite database. */
class EmbeddedDatabaseBlobStoreTest extends DatabaseBlobStoreContract {

    @TempDir
    Path scratch;

    @Override
    StoreBackend createBackend() {
        return new StoreBackend.Embedded(scratch);
    }

    @Test
    void open_unfinishedWriteFromBeforeTheStart_isRemovedAtOnce() {
        store();
        String abandoned = abandonedWrite(0); // no other process can be writing an embedded store

        DatabaseBlobStore.open(database()); // what the next start does

        assertThat(chunkCount(abandoned)).isZero();
    }
}
