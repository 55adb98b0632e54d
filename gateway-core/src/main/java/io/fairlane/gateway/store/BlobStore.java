package io.fairlane.gateway.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.Optional;

/**
 * Large contents — uploaded files, batch outputs — streamed in and out, never held whole in memory. A blob is
 * written once, read any number of times, and deleted; it is never changed. Each has an id the store chooses,
 * a size and a SHA-256.
 *
 * <p>A blob becomes visible only when it is complete: {@link #write} returns after the content is durable, and
 * until then neither {@link #find}, {@link #open} nor {@link #list} shows it — not even after the process died
 * in the middle of writing. Reading checks the length and the SHA-256 at the end of the stream and throws rather
 * than end a damaged blob quietly.
 *
 * <p>Blobs and a feature's rows are stored apart, so a feature writes the blob first and then, in a transaction,
 * the row that refers to it; and deletes the row first, then the blob. A crash between the two leaves an
 * unreferenced blob, never a row without its blob; a feature that cares sweeps unreferenced blobs older than its
 * longest write (see {@link Blob#createdAt()} and {@link #list}).
 *
 * <p>Get the store from {@link Database#blobs()}: files beside the embedded database, chunk rows in PostgreSQL so
 * that every replica sees every blob. There is one per database, because opening a store clears what a crashed
 * writer left behind.
 *
 * <p>Every method blocks on I/O (see {@link Database}: not on an event loop). Implementations are thread-safe.
 */
public interface BlobStore {

    /** Content to store, written by the store's caller into the stream it is given. */
    @FunctionalInterface
    interface Content {
        /**
         * Writes the content into {@code out}. Throwing abandons the blob. Closing {@code out} is allowed and
         * changes nothing; the store finishes the blob when this returns.
         */
        void writeTo(OutputStream out) throws IOException;
    }

    /**
     * Stores what {@code content} writes, as a new blob, and returns it once it is durable.
     *
     * @throws IOException from the content, or when storing fails; either way nothing is stored
     */
    Blob write(Content content) throws IOException;

    /** Stores everything {@code in} holds (reading it to the end, not closing it) as a new blob. */
    default Blob write(InputStream in) throws IOException {
        return write(out -> in.transferTo(out));
    }

    /** The complete blob with this id, or empty. */
    Optional<Blob> find(String id) throws IOException;

    /**
     * The content of a complete blob, to read and close. The stream throws an {@link IOException} at its end if
     * the content read does not have the blob's size and SHA-256.
     *
     * @throws java.nio.file.NoSuchFileException when there is no complete blob with this id
     */
    InputStream open(String id) throws IOException;

    /** Deletes the blob; false when there was none. A reader that already opened it may fail midway. */
    boolean delete(String id) throws IOException;

    /**
     * Complete blobs in id order: up to {@code limit} of them with ids after {@code afterId} ({@code ""} for the
     * first page). For housekeeping: finding blobs that no row refers to.
     */
    List<Blob> list(String afterId, int limit) throws IOException;
}
