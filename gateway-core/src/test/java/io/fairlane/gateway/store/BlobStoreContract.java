package io.fairlane.gateway.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link BlobStore} promises: content round-trips with its size and SHA-256, streams larger than a
 * chunk, never shows a blob before it is complete, and refuses to end a damaged one quietly. One subclass per
 * store and database.
 */
abstract class BlobStoreContract {

    /** Over two database chunks and not a multiple of anything, so chunk edges are crossed mid-buffer. */
    static final long LARGE = 2L * DatabaseBlobStore.CHUNK_SIZE + 123_457;

    private StoreBackend backend;
    private Database database;
    private BlobStore store;

    /** The backend under test; called once per test. */
    abstract StoreBackend createBackend();

    /** The store under test, on {@code database}. */
    abstract BlobStore createStore(Database database);

    /** Changes one byte of the stored content behind the store's back. */
    abstract void flipAByte(Database database, Blob blob) throws Exception;

    /** Drops the end of the stored content behind the store's back. */
    abstract void truncate(Database database, Blob blob) throws Exception;

    final StoreBackend backend() {
        if (backend == null) {
            backend = createBackend();
        }
        return backend;
    }

    final Database database() {
        if (database == null) {
            database = backend().open(backend().newStore());
        }
        return database;
    }

    final BlobStore store() {
        if (store == null) {
            store = createStore(database());
        }
        return store;
    }

    @AfterEach
    void closeDatabase() {
        if (database != null) {
            database.close();
        }
    }

    @Test
    void write_smallContent_reportsItsSizeAndSha256() throws IOException {
        Blob blob = store().write(new ByteArrayInputStream("hello".getBytes(StandardCharsets.UTF_8)));

        assertThat(List.of(blob.size(), blob.sha256())).containsExactly(5L,
                "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
    }

    @Test
    void open_smallContent_readsItBack() throws IOException {
        Blob blob = store().write(new ByteArrayInputStream("hello".getBytes(StandardCharsets.UTF_8)));

        try (InputStream in = store().open(blob.id())) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("hello");
        }
    }

    @Test
    void write_emptyContent_storesAnEmptyBlob() throws IOException {
        Blob blob = store().write(out -> { });

        try (InputStream in = store().open(blob.id())) {
            assertThat(in.readAllBytes()).isEmpty();
        }
    }

    @Test
    void write_largerThanAChunk_streamsInAndOutIntact() throws Exception {
        // Generated while written and hashed while read: the test holds no copy of the content either.
        Blob blob = store().write(out -> writePattern(out, 7, LARGE));

        assertThat(List.of(blob.size(), blob.sha256())).containsExactly(LARGE, patternSha256(7, LARGE));
        try (InputStream in = store().open(blob.id())) {
            assertThat(sha256Of(in)).isEqualTo(blob.sha256());
        }
    }

    @Test
    void write_byteByByteAndInPieces_storesTheSameContent() throws Exception {
        Blob whole = store().write(out -> writePattern(out, 3, 40_000));

        Blob pieces = store().write(out -> {
            byte[] all = pattern(3, 40_000);
            out.write(all[0]);
            out.write(all, 1, 9_999);
            out.flush();
            out.write(all, 10_000, 30_000);
            out.close(); // allowed; the store finishes the blob when the content returns
        });

        assertThat(pieces.sha256()).isEqualTo(whole.sha256());
    }

    @Test
    void write_contentFails_rethrowsAndKeepsNothing() throws IOException {
        IOException broken = new IOException("client went away");

        assertThatThrownBy(() -> store().write(out -> {
            writePattern(out, 1, DatabaseBlobStore.CHUNK_SIZE + 10);
            throw broken;
        })).isSameAs(broken);
        assertThat(store().list("", 10)).isEmpty();
    }

    @Test
    void list_whileABlobIsHalfWritten_doesNotShowIt() throws Exception {
        CountDownLatch halfWritten = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        ExecutorService writer = Executors.newSingleThreadExecutor();
        try {
            Future<Blob> written = writer.submit(() -> store().write(out -> {
                writePattern(out, 5, DatabaseBlobStore.CHUNK_SIZE + 1_000); // one chunk already stored
                halfWritten.countDown();
                await(finish);
                writePattern(out, 6, 1_000);
            }));
            assertThat(halfWritten.await(20, TimeUnit.SECONDS)).isTrue();

            List<Blob> visible = store().list("", 10);

            finish.countDown();
            written.get(20, TimeUnit.SECONDS);
            assertThat(visible).isEmpty();
        } finally {
            finish.countDown();
            writer.shutdownNow();
        }
    }

    @Test
    void list_afterTheWriteFinished_showsTheBlob() throws Exception {
        Blob blob = store().write(out -> writePattern(out, 5, 1_000));

        assertThat(store().list("", 10)).containsExactly(blob);
    }

    @Test
    void find_existingBlob_describesIt() throws IOException {
        Blob blob = store().write(out -> writePattern(out, 9, 10));

        assertThat(store().find(blob.id())).contains(blob);
    }

    @Test
    void find_unknownId_isEmpty() throws IOException {
        assertThat(store().find("0123456789abcdef0123456789abcdef")).isEmpty();
    }

    @Test
    void open_unknownId_throwsNoSuchFile() {
        assertThatThrownBy(() -> store().open("0123456789abcdef0123456789abcdef"))
                .isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void open_idThatIsAPath_isRefused() {
        assertThatThrownBy(() -> store().open("../../../../etc/passwd"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("32 lower-case hex digits");
    }

    @Test
    void delete_existingBlob_removesIt() throws IOException {
        Blob blob = store().write(out -> writePattern(out, 2, DatabaseBlobStore.CHUNK_SIZE + 5));

        boolean deleted = store().delete(blob.id());

        assertThat(List.of(deleted, store().find(blob.id()).isPresent())).containsExactly(true, false);
    }

    @Test
    void delete_unknownId_answersFalse() throws IOException {
        assertThat(store().delete("0123456789abcdef0123456789abcdef")).isFalse();
    }

    @Test
    void delete_oneOfTwo_leavesTheOther() throws IOException {
        Blob gone = store().write(out -> writePattern(out, 2, 100));
        Blob kept = store().write(out -> writePattern(out, 3, 100));

        store().delete(gone.id());

        try (InputStream in = store().open(kept.id())) {
            assertThat(sha256Of(in)).isEqualTo(kept.sha256());
        }
    }

    @Test
    void list_inPages_returnsEveryBlobOnceInIdOrder() throws IOException {
        List<String> written = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            int seed = i;
            written.add(store().write(out -> writePattern(out, seed, 10)).id());
        }

        List<String> listed = new ArrayList<>();
        String after = "";
        for (List<Blob> page = store().list(after, 2); !page.isEmpty(); page = store().list(after, 2)) {
            page.forEach(b -> listed.add(b.id()));
            after = page.getLast().id();
        }

        assertThat(listed).isEqualTo(written.stream().sorted().toList());
    }

    @Test
    void open_contentChangedOnDisk_failsAtTheEnd() throws Exception {
        Blob blob = store().write(out -> writePattern(out, 4, DatabaseBlobStore.CHUNK_SIZE + 77));
        flipAByte(database(), blob);

        try (InputStream in = store().open(blob.id())) {
            assertThatThrownBy(in::readAllBytes).isInstanceOf(IOException.class).hasMessageContaining("SHA-256");
        }
    }

    @Test
    void open_contentCutShort_failsAtTheEnd() throws Exception {
        Blob blob = store().write(out -> writePattern(out, 4, DatabaseBlobStore.CHUNK_SIZE + 77));
        truncate(database(), blob);

        try (InputStream in = store().open(blob.id())) {
            assertThatThrownBy(in::readAllBytes).isInstanceOf(IOException.class).hasMessageContaining("ended after");
        }
    }

    @Test
    void write_concurrentWriters_storeEveryBlobIntact() throws Exception {
        ExecutorService writers = Executors.newFixedThreadPool(4);
        try {
            BlobStore store = store(); // one store, as Database.blobs() hands out
            List<Future<Blob>> futures = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                int seed = 100 + i;
                futures.add(writers.submit(() -> store.write(out -> writePattern(out, seed, 300_000 + seed))));
            }
            List<String> mismatches = new ArrayList<>();
            for (int i = 0; i < futures.size(); i++) {
                Blob blob = futures.get(i).get(60, TimeUnit.SECONDS);
                try (InputStream in = store().open(blob.id())) {
                    if (!sha256Of(in).equals(patternSha256(100 + i, 300_000 + 100 + i))) {
                        mismatches.add(blob.id());
                    }
                }
            }
            assertThat(mismatches).isEmpty();
        } finally {
            writers.shutdownNow();
        }
    }

    @Test
    void write_insideATransaction_failsFast() {
        assertThatThrownBy(() -> database().transaction(c -> {
            try {
                return store().write(out -> writePattern(out, 1, 10));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("do not nest");
    }

    // ---- content: a reproducible pseudo-random stream, so tests need no copy of it

    static void writePattern(OutputStream out, long seed, long length) throws IOException {
        SplittableRandom random = new SplittableRandom(seed);
        byte[] buffer = new byte[8_192];
        for (long left = length; left > 0; ) {
            int n = (int) Math.min(buffer.length, left);
            for (int i = 0; i < n; i++) {
                buffer[i] = (byte) random.nextInt(256);
            }
            out.write(buffer, 0, n);
            left -= n;
        }
    }

    static byte[] pattern(long seed, int length) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(length);
        writePattern(out, seed, length);
        return out.toByteArray();
    }

    static String patternSha256(long seed, long length) throws IOException {
        MessageDigest sha = HashingOutputStream.sha256();
        writePattern(new java.security.DigestOutputStream(OutputStream.nullOutputStream(), sha), seed, length);
        return HexFormat.of().formatHex(sha.digest());
    }

    static String sha256Of(InputStream in) throws IOException {
        MessageDigest sha = HashingOutputStream.sha256();
        byte[] buffer = new byte[8_192];
        for (int n; (n = in.read(buffer)) != -1; ) {
            sha.update(buffer, 0, n);
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private static void await(CountDownLatch latch) throws IOException {
        try {
            if (!latch.await(20, TimeUnit.SECONDS)) {
                throw new IOException("test latch never opened");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }
}
