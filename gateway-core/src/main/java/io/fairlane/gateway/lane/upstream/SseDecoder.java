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

    /** Feeds bytes (not retained) and returns the events they completed. */
    public List<Event> feed(ByteBuf bytes) {
        pending.writeBytes(bytes);
        List<Event> out = new ArrayList<>(4);
        while (true) {
            int start = pending.readerIndex();
            int eol = pending.indexOf(start, pending.writerIndex(), (byte) '\n');
            if (eol < 0) {
                if (pending.readableBytes() > maxEventBytes) {
                    throw new IllegalStateException("server-sent event larger than " + maxEventBytes + " bytes");
                }
                break;
            }
            int end = eol;
            if (end > start && pending.getByte(end - 1) == '\r') {
                end--;
            }
            line(start, end, out);
            pending.readerIndex(eol + 1);
        }
        pending.discardSomeReadBytes();
        return out;
    }

    /** The event the stream ended in the middle of, if its data was complete up to the end. */
    public List<Event> finish() {
        List<Event> out = new ArrayList<>(1);
        if (pending.isReadable()) {
            line(pending.readerIndex(), pending.writerIndex(), out);
            pending.clear();
        }
        line(0, 0, out);
        return out;
    }

    /** One line, {@code pending[start, end)} without its terminator. */
    private void line(int start, int end, List<Event> out) {
        if (start == end) {
            if (hasData) {
                out.add(new Event(eventName == null ? "message" : eventName, Arrays.copyOf(data, dataLength)));
            }
            dataLength = 0;
            hasData = false;
            eventName = null;
            return;
        }
        if (pending.getByte(start) == ':') {
            return;
        }
        int colon = pending.indexOf(start, end, (byte) ':');
        int fieldEnd = colon < 0 ? end : colon;
        int value = colon < 0 ? end : colon + 1;
        if (value < end && pending.getByte(value) == ' ') {
            value++;
        }
        if (is(start, fieldEnd, "data")) {
            if (hasData) {
                append(pending, end, end); // grows for the separator below
                data[dataLength++] = '\n';
            }
            append(pending, value, end);
            hasData = true;
        } else if (is(start, fieldEnd, "event")) {
            eventName = pending.toString(value, end - value, StandardCharsets.UTF_8);
        }
    }

    private boolean is(int start, int end, String field) {
        if (end - start != field.length()) {
            return false;
        }
        for (int i = 0; i < field.length(); i++) {
            if (pending.getByte(start + i) != field.charAt(i)) {
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
        from.getBytes(start, data, dataLength, end - start);
        dataLength += end - start;
    }

    @Override
    public void close() {
        if (pending.refCnt() > 0) {
            pending.release();
        }
    }
}
