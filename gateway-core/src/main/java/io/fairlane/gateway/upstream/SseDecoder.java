package io.fairlane.gateway.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a {@code text/event-stream} body into events, however the bytes were cut into chunks. Keeps the
 * {@code data} of each event (several data lines joined by newlines) and its {@code event} name; ignores
 * comments and ids. An event larger than the limit is an error, so a broken upstream cannot make the
 * gateway buffer without bound.
 *
 * <p>Holds a buffer until {@link #close()}. Confined to one event loop.
 */
public final class SseDecoder implements AutoCloseable {

    /** One event: its name ({@code message} when none was given) and its data. */
    public record Event(String name, String data) {
        @Override
        public String toString() {
            return "Event[" + name + ", " + data.length() + " chars]";
        }
    }

    private final ByteBuf pending;
    private final int maxEventBytes;
    private final StringBuilder data = new StringBuilder();
    private String eventName;
    private boolean hasData;

    public SseDecoder(ByteBufAllocator alloc, int maxEventBytes) {
        this.pending = alloc.buffer(1024);
        this.maxEventBytes = maxEventBytes;
    }

    /** Feeds bytes (not retained) and returns the events they completed. */
    public List<Event> feed(ByteBuf bytes) {
        pending.writeBytes(bytes);
        List<Event> out = new ArrayList<>(2);
        while (true) {
            int eol = pending.indexOf(pending.readerIndex(), pending.writerIndex(), (byte) '\n');
            if (eol < 0) {
                if (pending.readableBytes() > maxEventBytes) {
                    throw new IllegalStateException("server-sent event larger than " + maxEventBytes + " bytes");
                }
                break;
            }
            int end = eol;
            if (end > pending.readerIndex() && pending.getByte(end - 1) == '\r') {
                end--;
            }
            String line = pending.toString(pending.readerIndex(), end - pending.readerIndex(), StandardCharsets.UTF_8);
            pending.readerIndex(eol + 1);
            line(line, out);
        }
        pending.discardSomeReadBytes();
        return out;
    }

    /** The event the stream ended in the middle of, if its data was complete up to the end. */
    public List<Event> finish() {
        List<Event> out = new ArrayList<>(1);
        if (pending.isReadable()) {
            line(pending.toString(StandardCharsets.UTF_8), out);
            pending.clear();
        }
        line("", out);
        return out;
    }

    private void line(String line, List<Event> out) {
        if (line.isEmpty()) {
            if (hasData) {
                out.add(new Event(eventName == null ? "message" : eventName, data.toString()));
            }
            data.setLength(0);
            hasData = false;
            eventName = null;
            return;
        }
        if (line.charAt(0) == ':') {
            return;
        }
        int colon = line.indexOf(':');
        String field = colon < 0 ? line : line.substring(0, colon);
        String value = colon < 0 ? "" : line.substring(colon + 1);
        if (value.startsWith(" ")) {
            value = value.substring(1);
        }
        switch (field) {
            case "data" -> {
                if (hasData) {
                    data.append('\n');
                }
                data.append(value);
                hasData = true;
                if (data.length() > maxEventBytes) {
                    throw new IllegalStateException("server-sent event larger than " + maxEventBytes + " bytes");
                }
            }
            case "event" -> eventName = value;
            default -> {
            }
        }
    }

    @Override
    public void close() {
        if (pending.refCnt() > 0) {
            pending.release();
        }
    }
}
