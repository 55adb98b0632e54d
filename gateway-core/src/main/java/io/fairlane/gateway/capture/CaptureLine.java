package io.fairlane.gateway.capture;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.gateway.http.Json;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * An exchange as one line of the {@code fairlane-capture} format, version 1 (docs/conformance.md,
 * "Capture format"): {@code {"v":1,"time","tenant","request":{...},"response":{...}}}. JSON bodies are kept
 * as JSON, other bodies as text, and a stream as its list of events ({@code [DONE]} included).
 */
final class CaptureLine {

    static final int VERSION = 1;

    private CaptureLine() {
    }

    static String format(CapturedExchange e) {
        ObjectNode line = Json.MAPPER.createObjectNode();
        line.put("v", VERSION);
        line.put("time", e.time().toString());
        line.put("tenant", e.tenant());
        ObjectNode request = line.putObject("request");
        request.put("method", e.method());
        request.put("path", e.path());
        headers(request, e.requestHeaders());
        body(request, e.requestBody());
        ObjectNode response = line.putObject("response");
        response.put("status", e.status());
        headers(response, e.responseHeaders());
        if (e.stream()) {
            events(response.putArray("events"), new String(e.responseBody(), StandardCharsets.UTF_8));
        } else {
            body(response, e.responseBody());
        }
        return line.toString();
    }

    private static void headers(ObjectNode target, Map<String, String> headers) {
        ObjectNode h = target.putObject("headers");
        headers.forEach(h::put);
    }

    private static void body(ObjectNode target, byte[] bytes) {
        if (bytes.length == 0) {
            return;
        }
        JsonNode json = parse(new String(bytes, StandardCharsets.UTF_8));
        if (json != null) {
            target.set("body", json);
        } else {
            target.put("bodyText", new String(bytes, StandardCharsets.UTF_8));
        }
    }

    /** Splits {@code data: ...\n\n} events; an event's {@code event:} field name is kept when present. */
    private static void events(ArrayNode out, String text) {
        for (String block : text.split("\n\n")) {
            if (block.isBlank()) {
                continue;
            }
            StringBuilder data = new StringBuilder();
            String name = null;
            for (String line : block.split("\n")) {
                if (line.startsWith("data:")) {
                    if (!data.isEmpty()) {
                        data.append('\n');
                    }
                    data.append(line.startsWith("data: ") ? line.substring(6) : line.substring(5));
                } else if (line.startsWith("event:")) {
                    name = line.substring(6).strip();
                }
            }
            ObjectNode event = out.addObject();
            if (name != null) {
                event.put("event", name);
            }
            JsonNode json = parse(data.toString());
            if (json != null && json.isContainerNode()) {
                event.set("data", json);
            } else {
                event.put("data", data.toString());
            }
        }
    }

    private static JsonNode parse(String text) {
        try {
            JsonNode node = Json.MAPPER.readTree(text);
            return node == null || node.isMissingNode() ? null : node;
        } catch (JacksonException e) {
            return null;
        }
    }
}
