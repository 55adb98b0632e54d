package io.fairlane.gateway.lane.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Splits a {@code text/event-stream} body into events, however the bytes were cut into chunks. Keeps the
 * {@code data} of each event (several data lines joined by newlines) and its {@code event} name; ignores
 * comments and ids. An event larger than the limit is an error, so a broken upstream cannot make the
 * gateway buffer without bound.
 *
 * <p>Works on bytes: an event's data is handed on as the UTF-8 bytes the upstream sent, so a relay that
 * can forward them unchanged never decodes them into a {@code String}.
 *
 * <p>Holds a buffer until {@link #close()}. Confined to one event loop.
 */
public final class SseDecoder implements AutoCloseable {

    /** One event: its name ({@code message} when none was given) and its data as UTF-8 bytes. */
    public record Event(String name, byte[] bytes) {

        public Event(String name, String data) {
            this(name, data.getBytes(StandardCharsets.UTF_8));
        }

        /** The data as text. */
        public String data() {
            return new String(bytes, StandardCharsets.UTF_8);
        }

        /** Whether the data is exactly {@code text} (ASCII). */
        public boolean dataIs(byte[] ascii) {
            return Arrays.equals(bytes, ascii);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Event e && name.equals(e.name) && Arrays.equals(bytes, e.bytes);
        }

        @Override
        public int hashCode() {
            return 31 * name.hashCode() + Arrays.hashCode(bytes);
        }

        @Override
        public String toString() {
            return "Event[" + name + ", " + bytes.length + " bytes]";
        }
    }

    private final ByteBuf pending;
    private final int maxEventBytes;
    private byte[] data = new byte[512];
    private int dataLength;
    private String eventName;
    private boolean hasData;

    public SseDecoder(ByteBufAllocator alloc, int maxEventBytes) {
        this.pending = alloc.buffer(1024);
        this.maxEventBytes = maxEventBytes;
    }

    /**
     * Receives each event as it completes. {@code data[0, length)} is the decoder's own buffer, valid only during
     * the call: a receiver that keeps the bytes copies them.
     */
    @FunctionalInterface
    public interface Receiver {
        void event(String name, byte[] data, int length);
    }

    /** Feeds bytes (not retained) and returns the events they completed. */
    public List<Event> feed(ByteBuf bytes) {
        List<Event> out = new ArrayList<>(4);
        feed(bytes, collect(out));
        return out;
    }

    /** The event the stream ended in the middle of, if its data was complete up to the end. */
    public List<Event> finish() {
        List<Event> out = new ArrayList<>(1);
        finish(collect(out));
        return out;
    }

    private static Receiver collect(List<Event> out) {
        return (name, data, length) -> out.add(new Event(name, Arrays.copyOf(data, length)));
    }

    /**
     * Feeds bytes (not retained) and hands each event they completed to {@code receiver}, allocating nothing per
     * event. The lines are read where they lie; only an incomplete tail is kept for the next call.
     */
    public void feed(ByteBuf bytes, Receiver receiver) {
        ByteBuf src;
        int read;
        if (pending.isReadable()) {
            pending.writeBytes(bytes, bytes.readerIndex(), bytes.readableBytes());
            src = pending;
            read = pending.readerIndex();
        } else {
            src = bytes;
            read = bytes.readerIndex();
        }
        int limit = src.writerIndex();
        while (true) {
            int eol = src.indexOf(read, limit, (byte) '\n');
            if (eol < 0) {
                break;
            }
            int end = eol;
            if (end > read && src.getByte(end - 1) == '\r') {
                end--;
            }
            line(src, read, end, receiver);
            read = eol + 1;
        }
        if (limit - read > maxEventBytes) {
            throw new IllegalStateException("server-sent event larger than " + maxEventBytes + " bytes");
        }
        if (src == pending) {
            pending.readerIndex(read);
            pending.discardSomeReadBytes();
        } else if (read < limit) {
            pending.clear();
            pending.writeBytes(bytes, read, limit - read);
        }
    }

    /** Hands on the event the stream ended in the middle of, if its data was complete up to the end. */
    public void finish(Receiver receiver) {
        if (pending.isReadable()) {
            line(pending, pending.readerIndex(), pending.writerIndex(), receiver);
            pending.clear();
        }
        line(pending, 0, 0, receiver);
    }

    /** One line, {@code src[start, end)} without its terminator. */
    private void line(ByteBuf src, int start, int end, Receiver receiver) {
        if (start == end) {
            if (hasData) {
                receiver.event(eventName == null ? "message" : eventName, data, dataLength);
            }
            dataLength = 0;
            hasData = false;
            eventName = null;
            return;
        }
        if (src.getByte(start) == ':') {
            return;
        }
        int colon = src.indexOf(start, end, (byte) ':');
        int fieldEnd = colon < 0 ? end : colon;
        int value = colon < 0 ? end : colon + 1;
        if (value < end && src.getByte(value) == ' ') {
            value++;
        }
        if (is(src, start, fieldEnd, "data")) {
            if (hasData) {
                append(src, end, end); // grows for the separator below
                data[dataLength++] = '\n';
            }
            append(src, value, end);
            hasData = true;
        } else if (is(src, start, fieldEnd, "event")) {
            eventName = src.toString(value, end - value, StandardCharsets.UTF_8);
        }
    }

    private static boolean is(ByteBuf src, int start, int end, String field) {
        if (end - start != field.length()) {
            return false;
        }
        for (int i = 0; i < field.length(); i++) {
            if (src.getByte(start + i) != field.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private void append(ByteBuf from, int start, int end) {
        int needed = dataLength + (end - start) + 1;
        if (needed - 1 > maxEventBytes) {
            throw new IllegalStateException("server-sent event larger than " + maxEventBytes + " bytes");
        }
        if (needed > data.length) {
            data = Arrays.copyOf(data, Math.max(needed, data.length * 2));
        }
        if (from.nioBufferCount() == 1) {
            // Through the buffer's own reused NIO view: ByteBuf.getBytes on a direct buffer without Unsafe (the
            // default on JDK 24 and later) makes a ByteBuffer duplicate for every copy, one per event.
            from.internalNioBuffer(start, end - start).get(data, dataLength, end - start);
        } else {
            from.getBytes(start, data, dataLength, end - start);
        }
        dataLength += end - start;
    }

    @Override
    public void close() {
        if (pending.refCnt() > 0) {
            pending.release();
        }
    }
}
