package io.fairlane.gateway.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** The one Jackson mapper of the gateway and the byte-level helpers around it. */
public final class Json {

    /**
     * Shared, thread-safe. Floats are read as doubles (no BigDecimal), JSON nesting is capped to keep a
     * hostile body from exhausting the stack, and duplicate keys keep the last value, as most servers do.
     */
    public static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(256).build())
            .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
            .build())
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /**
     * {@link #MAPPER}'s tree reader, made once: {@code ObjectMapper.readTree} resolves the tree's type and looks up
     * its deserializer on every call, a per-request cost on the request path.
     */
    public static final ObjectReader TREE = MAPPER.readerFor(JsonNode.class);

    private static final byte[] DATA = "data: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EVENT_END = "\n\n".getBytes(StandardCharsets.US_ASCII);

    private Json() {
    }

    /** Serialises {@code value} into a new buffer from {@code alloc}. */
    public static ByteBuf write(ByteBufAllocator alloc, Object value) {
        ByteBuf buf = alloc.buffer(256);
        try (ByteBufOutputStream out = new ByteBufOutputStream(buf)) {
            MAPPER.writeValue((java.io.OutputStream) out, value);
        } catch (IOException e) {
            buf.release();
            throw new UncheckedIOException(e);
        }
        return buf;
    }

    /** One server-sent event, {@code data: <json>\n\n}, in a new buffer. */
    public static ByteBuf sseEvent(ByteBufAllocator alloc, JsonNode value) {
        ByteBuf buf = alloc.buffer(256);
        try {
            writeSseEvent(buf, value);
        } catch (RuntimeException e) {
            buf.release();
            throw e;
        }
        return buf;
    }

    /** Appends one server-sent event, {@code data: <json>\n\n}, to {@code out}. */
    public static void writeSseEvent(ByteBuf out, JsonNode value) {
        out.writeBytes(DATA);
        try (ByteBufOutputStream stream = new ByteBufOutputStream(out)) {
            MAPPER.writeValue((java.io.OutputStream) stream, value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.writeBytes(EVENT_END);
    }

    public static String toString(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
