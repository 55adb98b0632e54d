package io.fairlane.gateway.store;

import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The stream a {@link BlobStore.Content} writes into: passes bytes on while counting them and hashing them with
 * SHA-256. Ignores {@code close()} (the store, not the content, decides when a blob is finished), and refuses
 * writes after the store has finished.
 */
final class HashingOutputStream extends OutputStream {

    private final OutputStream out;
    private final MessageDigest sha256 = sha256();
    private long size;
    private boolean finished;

    HashingOutputStream(OutputStream out) {
        this.out = out;
    }

    @Override
    public void write(int b) throws IOException {
        checkOpen();
        out.write(b);
        sha256.update((byte) b);
        size++;
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
        checkOpen();
        out.write(bytes, offset, length);
        sha256.update(bytes, offset, length);
        size += length;
    }

    @Override
    public void flush() throws IOException {
        checkOpen();
        out.flush();
    }

    @Override
    public void close() {
        // The store finishes the blob when the content returns.
    }

    /** Flushes what is buffered below and ends writing; returns the hex SHA-256 of everything written. */
    String finish() throws IOException {
        out.flush();
        finished = true;
        return HexFormat.of().formatHex(sha256.digest());
    }

    long size() {
        return size;
    }

    private void checkOpen() throws IOException {
        if (finished) {
            throw new IOException("the blob is finished; its content can no longer be written");
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
