package io.fairlane.gateway.responses;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.gateway.http.ApiError;
import io.fairlane.gateway.http.Json;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Server-sent events as the Responses filters read and write them. They read what the gateway's own writers framed
 * (one {@code data:} line per event, or several, joined as the SSE specification says; {@code event:} and comment
 * lines ignored) and write Responses events, each with its {@code event:} line: {@code event: <type>\ndata:
 * <json>\n\n}. Stateless.
 */
final class SseFrames {

    private static final byte[] EVENT = "event: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DATA = "\ndata: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] END = "\n\n".getBytes(StandardCharsets.US_ASCII);

    private SseFrames() {
    }

    /** The JSON of each event's data in {@code buf} (not consumed), in order; events whose data is not JSON skipped. */
    static List<JsonNode> data(ByteBuf buf) {
        List<JsonNode> out = new ArrayList<>(2);
        int end = buf.writerIndex();
        int i = buf.readerIndex();
        StringBuilder data = null;
        while (i < end) {
            int nl = buf.indexOf(i, end, (byte) '\n');
            int lineEnd = nl < 0 ? end : nl;
            int len = lineEnd - i;
            if (len > 0 && buf.getByte(lineEnd - 1) == '\r') {
                len--;
            }
            if (len == 0) {
                if (data != null) {
                    parse(data, out);
                    data = null;
                }
            } else if (startsWith(buf, i, len, "data:")) {
                int from = i + 5;
                if (from < i + len && buf.getByte(from) == ' ') {
                    from++;
                }
                String line = buf.toString(from, i + len - from, StandardCharsets.UTF_8);
                data = data == null ? new StringBuilder(line) : data.append('\n').append(line);
            }
            i = nl < 0 ? end : nl + 1;
        }
        if (data != null) {
            parse(data, out);
        }
        return out;
    }

    private static void parse(StringBuilder data, List<JsonNode> out) {
        try {
            JsonNode n = Json.MAPPER.readTree(data.toString());
            if (n != null && !n.isMissingNode()) {
                out.add(n);
            }
        } catch (IOException e) {
            // [DONE] and anything else that is not JSON carries nothing to translate
        }
    }

    private static boolean startsWith(ByteBuf buf, int at, int len, String prefix) {
        if (len < prefix.length()) {
            return false;
        }
        for (int k = 0; k < prefix.length(); k++) {
            if (buf.getByte(at + k) != prefix.charAt(k)) {
                return false;
            }
        }
        return true;
    }

    /** The Responses API's {@code error} event for {@code error} (its sequence number still to be set). */
    static ObjectNode errorEvent(ApiError error) {
        ObjectNode e = Json.MAPPER.createObjectNode();
        e.put("type", "error");
        e.put("code", error.code() == null ? error.type() : error.code());
        e.put("message", error.message());
        if (error.param() == null) {
            e.putNull("param");
        } else {
            e.put("param", error.param());
        }
        return e;
    }

    /** Appends {@code event: <type>\ndata: <event>\n\n}, the type being the event's own {@code type}. */
    static void write(ByteBuf out, ObjectNode event) {
        out.writeBytes(EVENT);
        out.writeCharSequence(event.path("type").asText(), StandardCharsets.UTF_8);
        out.writeBytes(DATA);
        try (ByteBufOutputStream stream = new ByteBufOutputStream(out)) {
            Json.MAPPER.writeValue((java.io.OutputStream) stream, event);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.writeBytes(END);
    }
}
