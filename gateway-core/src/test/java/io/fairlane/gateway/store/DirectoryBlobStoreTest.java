package io.fairlane.gateway.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link BlobStoreContract} on blob files beside the embedded database, and what only files do. */
class DirectoryBlobStoreTest extends BlobStoreContract {

    @TempDir
    Path scratch;

    @Override
    StoreBackend createBackend() {
        return new StoreBackend.Embedded(scratch);
    }

    @Override
    BlobStore createStore(Database database) {
        return DirectoryBlobStore.open(database, blobs());
    }

    private Path blobs() {
        return scratch.resolve("blobs");
    }

    private Path fileOf(Blob blob) {
        return blobs().resolve(blob.id().substring(0, 2)).resolve(blob.id());
    }

    @Override
    void flipAByte(Database database, Blob blob) throws Exception {
        try (RandomAccessFile file = new RandomAccessFile(fileOf(blob).toFile(), "rw")) {
            file.seek(blob.size() / 2);
            int b = file.read();
            file.seek(blob.size() / 2);
            file.write(b ^ 0x01);
        }
    }

    @Override
    void truncate(Database database, Blob blob) throws Exception {
        try (RandomAccessFile file = new RandomAccessFile(fileOf(blob).toFile(), "rw")) {
            file.setLength(blob.size() - 10);
        }
    }

    @Test
    void write_file_holdsExactlyTheContent() throws Exception {
        Blob blob = store().write(out -> writePattern(out, 8, 5_000));

        assertThat(Files.readAllBytes(fileOf(blob))).isEqualTo(pattern(8, 5_000));
    }

    @Test
    void write_finished_leavesNoTemporaryFile() throws Exception {
        store().write(out -> writePattern(out, 8, 5_000));

        try (var parts = Files.list(blobs().resolve("tmp"))) {
            assertThat(parts.toList()).isEmpty();
        }
    }

    @Test
    void open_leftoversOfACrash_areRemovedAndBlobsKept() throws Exception {
        Blob kept = store().write(out -> writePattern(out, 8, 5_000));
        Path part = blobs().resolve("tmp").resolve("0123456789abcdef0123456789abcdef.part");
        Files.writeString(part, "half a blob");
        Path unrecorded = blobs().resolve("fe").resolve("fedcba9876543210fedcba9876543210");
        Files.createDirectories(unrecorded.getParent());
        Files.writeString(unrecorded, "renamed, but its row was never committed");

        DirectoryBlobStore.open(database(), blobs()); // what the next start does

        assertThat(List.of(Files.exists(part), Files.exists(unrecorded), Files.exists(fileOf(kept))))
                .containsExactly(false, false, true);
    }

    @Test
    void open_fileRemovedBehindTheStoresBack_throwsNoSuchFile() throws Exception {
        Blob blob = store().write(out -> writePattern(out, 8, 5_000));
        Files.delete(fileOf(blob));

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> store().open(blob.id()))
                .isInstanceOf(java.nio.file.NoSuchFileException.class)
                .hasMessageContaining("is gone");
    }
}
