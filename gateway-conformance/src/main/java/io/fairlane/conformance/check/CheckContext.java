package io.fairlane.conformance.check;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.conformance.schema.OpenApiSchemas;
import io.fairlane.conformance.wire.Exchange;
import io.fairlane.conformance.wire.HttpProbe;
import io.fairlane.conformance.wire.StreamAssembly;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * What checks share during one run: the options, the HTTP probe, the OpenAPI schemas, and the standard
 * requests, each sent once and reused by every check that needs it (the plain stream serves the framing,
 * identity, role and finish-reason checks alike). Confined to the thread that runs the checks.
 */
public final class CheckContext {

    // Trailing tokens fail: two JSON objects glued together ("{..}{..}") are not one valid argument string.
    static final ObjectMapper JSON = new ObjectMapper()
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    static final String MISSING_MODEL = "fairlane-conformance-no-such-model";
    static final String INVALID_KEY = "sk-fairlane-conformance-invalid-key";
    static final String TOOL_NAME = "get_weather";

    private final HarnessOptions options;
    private final HttpProbe probe;
    private final Supplier<Optional<OpenApiSchemas>> schemas;
    private final Map<String, Exchange> sent = new HashMap<>();
    private final String runId = java.util.UUID.randomUUID().toString();

    public CheckContext(HarnessOptions options, HttpProbe probe, Supplier<Optional<OpenApiSchemas>> schemas) {
        this.options = requireNonNull(options, "options");
        this.probe = requireNonNull(probe, "probe");
        this.schemas = requireNonNull(schemas, "schemas");
    }

    /** A random id for this run, for values that must not collide with earlier runs (idempotency keys). */
    String runId() {
        return runId;
    }

    public HarnessOptions options() {
        return options;
    }

    public HttpProbe probe() {
        return probe;
    }

    /** The OpenAPI schemas, or empty (with the reason available from the supplier's side) when absent. */
    Optional<OpenApiSchemas> schemas() {
        return schemas.get();
    }

    /** Sends the request once per run; later calls with the same key reuse the exchange. */
    Exchange once(String key, Supplier<Exchange> send) {
        Exchange existing = sent.get(key);
        if (existing == null) {
            existing = send.get();
            sent.put(key, existing);
        }
        return existing;
    }

    // ---- standard request bodies ----

    ObjectNode chatBody(String userMessage) {
        ObjectNode body = JSON.createObjectNode();
        body.put("model", options.model());
        ArrayNode messages = body.putArray("messages");
        messages.addObject().put("role", "user").put("content", userMessage);
        body.put("max_tokens", 24);
        return body;
    }

    /** The basic deterministic request: temperature 0 with a seed. */
    ObjectNode plainChatBody() {
        ObjectNode body = chatBody("Write one short sentence about the sea.");
        body.put("temperature", 0);
        body.put("seed", 7);
        return body;
    }

    ObjectNode toolBody(boolean stream) {
        ObjectNode body = chatBody("What is the weather in Paris and in Oslo? Call " + TOOL_NAME
                + " once for each city.");
        body.put("max_tokens", 96);
        body.put("temperature", 0);
        ArrayNode tools = body.putArray("tools");
        ObjectNode function = tools.addObject().put("type", "function").putObject("function");
        function.put("name", TOOL_NAME);
        function.put("description", "Current weather for a city.");
        ObjectNode parameters = function.putObject("parameters");
        parameters.put("type", "object");
        parameters.putObject("properties").putObject("city").put("type", "string");
        parameters.putArray("required").add("city");
        body.put("tool_choice", "required");
        body.put("parallel_tool_calls", true);
        if (stream) {
            body.put("stream", true);
        }
        return body;
    }

    // ---- shared exchanges ----

    Exchange chat() {
        return once("chat", () -> probe.post("plain chat completion", "chat/completions", plainChatBody()).send());
    }

    Exchange streamChat() {
        return once("stream", () -> {
            ObjectNode body = plainChatBody();
            body.put("stream", true);
            return probe.post("streamed chat completion without stream_options", "chat/completions", body).send();
        });
    }

    Exchange streamChatWithUsage() {
        return once("stream-usage", () -> {
            ObjectNode body = plainChatBody();
            body.put("stream", true);
            body.putObject("stream_options").put("include_usage", true);
            return probe.post("streamed chat completion with include_usage", "chat/completions", body).send();
        });
    }

    Exchange toolChat() {
        return once("tools", () -> probe.post("tool call, not streamed", "chat/completions", toolBody(false)).send());
    }

    Exchange toolStream() {
        return once("tools-stream", () -> probe.post("tool call, streamed", "chat/completions", toolBody(true)).send());
    }

    Exchange unauthorized() {
        return once("401", () -> probe.post("chat completion with an invalid API key", "chat/completions",
                plainChatBody()).apiKey(INVALID_KEY).send());
    }

    Exchange unknownModel() {
        return once("404", () -> {
            ObjectNode body = plainChatBody();
            body.put("model", MISSING_MODEL);
            return probe.post("chat completion for a model that does not exist", "chat/completions", body).send();
        });
    }

    /** The streams that chunk invariants are checked on: every standard stream that was accepted. */
    List<Exchange> acceptedStreams() {
        List<Exchange> streams = new ArrayList<>();
        streams.add(streamChat());
        streams.add(streamChatWithUsage());
        streams.add(toolStream());
        return streams.stream().filter(Exchange::ok).toList();
    }

    // ---- helpers for checks ----

    /** The JSON body of a successful exchange; records a failure and returns empty otherwise. */
    static Optional<JsonNode> okJson(Exchange exchange, Findings findings) {
        if (!exchange.ok()) {
            findings.fail(exchange.purpose() + ": expected a 2xx response, got "
                    + exchange.transportError().orElse("status " + exchange.status()), exchange);
            return Optional.empty();
        }
        Optional<JsonNode> json = exchange.responseOrThrow().json();
        if (json.isEmpty() || !json.get().isObject()) {
            findings.fail(exchange.purpose() + ": the body is not a JSON object", exchange);
            return Optional.empty();
        }
        return json;
    }

    /** The reassembled stream of a successful exchange; records a failure and returns empty otherwise. */
    static Optional<StreamAssembly> okStream(Exchange exchange, Findings findings) {
        if (!exchange.ok()) {
            findings.fail(exchange.purpose() + ": expected a 2xx stream, got "
                    + exchange.transportError().orElse("status " + exchange.status()), exchange);
            return Optional.empty();
        }
        return Optional.of(StreamAssembly.of(exchange.responseOrThrow().sse().chunks()));
    }

    /** The {@code error} object of an error response, if the body has one. */
    static Optional<JsonNode> errorObject(Exchange exchange) {
        return exchange.response().flatMap(r -> r.json())
                .map(json -> json.get("error"))
                .filter(JsonNode::isObject);
    }

    /** Whether a 400 answer says that the server refuses the named parameter (the honest way to not support it). */
    static boolean refusesParameter(Exchange exchange, String... parameters) {
        if (exchange.status() != 400) {
            return false;
        }
        String param = errorObject(exchange).map(e -> e.path("param").asText("")).orElse("");
        for (String p : parameters) {
            if (param.equals(p)) {
                return true;
            }
        }
        return false;
    }

    static boolean isInteger(JsonNode node) {
        return node != null && node.isIntegralNumber();
    }

    static String compact(JsonNode node) {
        return Evidence.shorten(node.toString(), 600);
    }
}
