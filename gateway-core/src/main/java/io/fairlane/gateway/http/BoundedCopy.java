package io.fairlane.gateway.http;

import io.netty.buffer.ByteBuf;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A copy of the bytes a {@link ResponseTap} sees, up to a limit: past it the copy is dropped and
 * {@link #overflowed()} says so for good. Reads each buffer without moving its reader index or making an
 * intermediate array. Confined to the exchange's event loop, like the taps that use it.
 */
public final class BoundedCopy {

    private final long limit;
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private boolean overflow;

    public BoundedCopy(long limit) {
        this.limit = limit;
    }

    /** Appends the readable bytes of {@code buf}, or marks the copy overflowed when they don't fit. */
    public void append(ByteBuf buf) {
        if (overflow) {
            return;
        }
        int n = buf.readableBytes();
        if (bytes.size() + (long) n > limit) {
            overflow = true;
            bytes.reset();
            return;
        }
        try {
            buf.getBytes(buf.readerIndex(), bytes, n);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // unreachable: a ByteArrayOutputStream does not throw
        }
    }

    public boolean overflowed() {
        return overflow;
    }

    public byte[] toByteArray() {
        return bytes.toByteArray();
    }
}
