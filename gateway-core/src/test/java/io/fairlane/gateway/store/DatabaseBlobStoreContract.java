package io.fairlane.gateway.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link BlobStoreContract} for blobs as chunk rows, plus what only chunk rows do; one subclass per database. */
abstract class DatabaseBlobStoreContract extends BlobStoreContract {

    @Override
    BlobStore createStore(Database database) {
        return DatabaseBlobStore.open(database);
    }

    @Override
    void flipAByte(Database database, Blob blob) {
        database.transaction(c -> {
            byte[] data;
            try (PreparedStatement select = c.prepareStatement(
                    "SELECT data FROM blobs_chunks WHERE blob_id = ? AND seq = 1")) {
                select.setString(1, blob.id());
                try (ResultSet rows = select.executeQuery()) {
                    rows.next();
                    data = rows.getBytes(1);
                }
            }
            data[data.length / 2] ^= 0x01;
            try (PreparedStatement update = c.prepareStatement(
                    "UPDATE blobs_chunks SET data = ? WHERE blob_id = ? AND seq = 1")) {
                update.setBytes(1, data);
                update.setString(2, blob.id());
                return update.executeUpdate();
            }
        });
    }

    @Override
    void truncate(Database database, Blob blob) {
        database.transaction(c -> {
            try (PreparedStatement delete = c.prepareStatement(
                    "DELETE FROM blobs_chunks WHERE blob_id = ? AND seq = (SELECT MAX(seq) FROM blobs_chunks "
                            + "WHERE blob_id = ?)")) {
                delete.setString(1, blob.id());
                delete.setString(2, blob.id());
                return delete.executeUpdate();
            }
        });
    }

    @Test
    void write_largeContent_isStoredInRowsOfAtMostOneChunk() throws Exception {
        Blob blob = store().write(out -> writePattern(out, 7, LARGE));

        List<Long> rowsAndLongest = database().read(c -> {
            try (PreparedStatement select = c.prepareStatement(
                    "SELECT COUNT(*), MAX(LENGTH(data)) FROM blobs_chunks WHERE blob_id = ?")) {
                select.setString(1, blob.id());
                try (ResultSet rows = select.executeQuery()) {
                    rows.next();
                    return List.of(rows.getLong(1), rows.getLong(2));
                }
            }
        });

        assertThat(rowsAndLongest).containsExactly(3L, (long) DatabaseBlobStore.CHUNK_SIZE);
    }

    @Test
    void delete_existingBlob_removesItsChunks() throws Exception {
        Blob blob = store().write(out -> writePattern(out, 7, LARGE));

        store().delete(blob.id());

        assertThat(chunkCount(blob.id())).isZero();
    }

    @Test
    void write_contentFails_removesTheChunksItStored() throws Exception {
        try {
            store().write(out -> {
                writePattern(out, 1, 2L * DatabaseBlobStore.CHUNK_SIZE + 10);
                throw new java.io.IOException("client went away");
            });
        } catch (java.io.IOException expected) {
            // what the contract tests check; here: what is left in the tables
        }

        long rowsLeft = database().read(c -> count(c, "SELECT COUNT(*) FROM blobs_chunks")
                + count(c, "SELECT COUNT(*) FROM blobs"));
        assertThat(rowsLeft).isZero();
    }

    /** A blob whose writer died this long ago: a row saying incomplete, and one chunk. */
    final String abandonedWrite(long idleMillis) {
        String id = Blob.newId();
        database().transaction(c -> {
            try (PreparedStatement row = c.prepareStatement("INSERT INTO blobs (id, complete, written_at) VALUES "
                    + "(?, 0, " + database().dialect().nowMillis() + " - ?)");
                 PreparedStatement chunk = c.prepareStatement(
                         "INSERT INTO blobs_chunks (blob_id, seq, data) VALUES (?, 0, ?)")) {
                row.setString(1, id);
                row.setLong(2, idleMillis);
                row.executeUpdate();
                chunk.setString(1, id);
                chunk.setBytes(2, new byte[] {1, 2, 3});
                return chunk.executeUpdate();
            }
        });
        return id;
    }

    final long chunkCount(String id) {
        return database().read(c -> {
            try (PreparedStatement select = c.prepareStatement(
                    "SELECT COUNT(*) FROM blobs_chunks WHERE blob_id = ?")) {
                select.setString(1, id);
                try (ResultSet rows = select.executeQuery()) {
                    rows.next();
                    return rows.getLong(1);
                }
            }
        });
    }

    private static long count(java.sql.Connection c, String sql) throws java.sql.SQLException {
        try (var s = c.createStatement(); ResultSet rows = s.executeQuery(sql)) {
            rows.next();
            return rows.getLong(1);
        }
    }
}
