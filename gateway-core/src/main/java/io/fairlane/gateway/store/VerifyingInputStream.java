package io.fairlane.gateway.store;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * A blob's content as {@link BlobStore#open} hands it out: at the end of the stream, checks that exactly the
 * blob's size was read and that its SHA-256 matches, and throws instead of reporting the end when not. So a
 * truncated file, a chunk deleted while being read, or a flipped bit on disk shows up as an error at the reader,
 * never as a shorter or different file served as if it were whole.
 *
 * <p>Skipping reads through the bytes (the inherited {@code skip}), so they are hashed too.
 */
final class VerifyingInputStream extends InputStream {

    private final InputStream in;
    private final Blob blob;
    private final MessageDigest sha256 = HashingOutputStream.sha256();
    private long read;
    private boolean verified;

    VerifyingInputStream(InputStream in, Blob blob) {
        this.in = in;
        this.blob = blob;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n == -1 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        java.util.Objects.checkFromIndexSize(offset, length, buffer.length);
        if (length == 0) {
            return 0;
        }
        int n = in.read(buffer, offset, length);
        if (n == -1) {
            verify();
            return -1;
        }
        read += n;
        sha256.update(buffer, offset, n);
        if (read > blob.size()) {
            throw damaged("it holds more than its " + blob.size() + " bytes");
        }
        return n;
    }

    private void verify() throws IOException {
        if (verified) {
            return;
        }
        if (read != blob.size()) {
            throw damaged("it ended after " + read + " of its " + blob.size() + " bytes");
        }
        String actual = HexFormat.of().formatHex(sha256.digest());
        if (!actual.equals(blob.sha256())) {
            throw damaged("its SHA-256 is " + actual + ", not " + blob.sha256());
        }
        verified = true;
    }

    private IOException damaged(String how) {
        return new IOException("blob " + blob.id() + " is damaged or was deleted while being read: " + how);
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
