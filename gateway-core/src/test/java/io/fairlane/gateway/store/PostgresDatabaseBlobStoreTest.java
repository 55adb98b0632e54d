package io.fairlane.gateway.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@link DatabaseBlobStoreContract} on a real PostgreSQL server, where several replicas share the blobs. */
@ExtendWith(PostgresServer.class)
class PostgresDatabaseBlobStoreTest extends DatabaseBlobStoreContract {

    @Override
    StoreBackend createBackend() {
        return new StoreBackend.Postgres(PostgresServer.current());
    }

    @Test
    void open_writeAbandonedOverAnHourAgo_isRemoved() {
        store();
        String abandoned = abandonedWrite((DatabaseBlobStore.ABANDONED_AFTER_MINUTES + 1) * 60_000L);

        DatabaseBlobStore.open(database()); // what the next replica to start does

        assertThat(chunkCount(abandoned)).isZero();
    }

    @Test
    void open_recentUnfinishedWrite_isLeftToTheReplicaWritingIt() {
        store();
        String inProgress = abandonedWrite(5_000);

        DatabaseBlobStore.open(database());

        assertThat(chunkCount(inProgress)).isOne();
    }

    @Test
    void blobs_otherReplica_readsWhatThisOneWrote() throws Exception {
        Blob blob = store().write(out -> writePattern(out, 11, LARGE));
        Database other = Database.open(database().settings(), PostgresServer.current().environment());
        try {
            try (var in = other.blobs().open(blob.id())) {
                assertThat(sha256Of(in)).isEqualTo(blob.sha256());
            }
        } finally {
            other.close();
        }
    }

    @Test
    void directoryStore_postgresDatabase_isRefused() {
        assertThatThrownBy(() -> DirectoryBlobStore.open(database(), Path.of("/tmp/never-created")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Database.blobs()");
    }
}
