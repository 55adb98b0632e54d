package io.fairlane.conformance.stub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.fairlane.conformance.wire.SseTranscript;
import io.fairlane.conformance.wire.StreamAssembly;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * An upstream that answers chat completions with the streams recorded from api.openai.com in the shared
 * fixtures: tools get the parallel tool-call recording, logprobs the logprobs one, anything else the plain
 * text one; non-streamed requests get the same recording reassembled. The usage chunk is sent only when
 * the request opts in, as OpenAI does. The recordings called tools of their own, so function names are
 * replaced by the first tool the request declares. It cannot honour n, stop or seeds (it replays fixed recordings):
 * n is refused with a 400 naming it, and a harness run declares stop and seed not applicable.
 *
 * <p>This is the upstream of the conformance "upstream lane": the harness runs against Fairlane proxying
 * to it, and directly against it to show what OpenAI's own traffic looks like to the checks.
 */
public final class CaptureUpstreamServer implements AutoCloseable {

    public static final String MODEL = "gpt-4o-2024-08-06";
    public static final String KEY = "sk-capture-upstream";
    static final String PLAIN = "chat-stream-11.sse";
    static final String TOOLS = "chat-stream-12.sse";
    static final String LOGPROBS = "chat-stream-06.sse";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path captures;
    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();

    private CaptureUpstreamServer(Path captures) throws IOException {
        this.captures = captures;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    /** Starts serving the recordings in {@code captures} (the fixtures' {@code openai-sse-captures}). */
    public static CaptureUpstreamServer start(Path captures) throws IOException {
        for (String name : List.of(PLAIN, TOOLS, LOGPROBS)) {
            if (!Files.isRegularFile(captures.resolve(name))) {
                throw new IllegalArgumentException("no recording " + name + " in " + captures);
            }
        }
        return new CaptureUpstreamServer(captures);
    }

    public URI baseUrl() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/v1");
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body = exchange.getRequestBody().readAllBytes();
            String path = exchange.getRequestURI().getPath();
            if (!("Bearer " + KEY).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
                error(exchange, 401, "Incorrect API key provided.", null, "invalid_api_key");
            } else if (path.equals("/v1/models")) {
                ObjectNode list = JSON.createObjectNode().put("object", "list");
                list.putArray("data").add(model());
                send(exchange, 200, "application/json", JSON.writeValueAsBytes(list));
            } else if (path.startsWith("/v1/models/")) {
                if (path.substring("/v1/models/".length()).equals(MODEL)) {
                    send(exchange, 200, "application/json", JSON.writeValueAsBytes(model()));
                } else {
                    error(exchange, 404, "The model does not exist.", null, "model_not_found");
                }
            } else if (path.equals("/v1/chat/completions")) {
                chat(exchange, JSON.readTree(body));
            } else {
                error(exchange, 404, "Unknown path.", null, "not_found");
            }
        }
    }

    private static ObjectNode model() {
        return JSON.createObjectNode().put("id", MODEL).put("object", "model").put("created", 1722814719L)
                .put("owned_by", "system");
    }

    private void chat(HttpExchange exchange, JsonNode request) throws IOException {
        if (!MODEL.equals(request.path("model").asText())) {
            error(exchange, 404, "The model `" + request.path("model").asText() + "` does not exist.", null,
                    "model_not_found");
            return;
        }
        if (!request.path("messages").isArray()) {
            error(exchange, 400, "Missing required parameter: 'messages'.", "messages", "missing_required_parameter");
            return;
        }
        double temperature = request.path("temperature").asDouble(1);
        if (temperature < 0 || temperature > 2) {
            error(exchange, 400, "Invalid 'temperature'.", "temperature", "decimal_above_max_value");
            return;
        }
        if (request.path("n").asInt(1) != 1) {
            error(exchange, 400, "This upstream replays recordings and supports only n=1.", "n", "unsupported_value");
            return;
        }
        String name = request.path("tools").isArray() ? TOOLS : request.path("logprobs").asBoolean(false) ? LOGPROBS
                : PLAIN;
        byte[] recording = Files.readAllBytes(captures.resolve(name));
        boolean includeUsage = request.path("stream_options").path("include_usage").asBoolean(false);
        if (request.path("stream").asBoolean(false)) {
            StringBuilder out = new StringBuilder();
            for (var event : SseTranscript.parse(recording).events()) {
                boolean usageChunk = event.json().map(j -> j.path("choices").isEmpty() && j.has("usage")).orElse(false);
                if (usageChunk && !includeUsage) {
                    continue;
                }
                String data = event.data();
                if (name.equals(TOOLS) && event.json().isPresent()) {
                    data = JSON.writeValueAsString(renameTools(event.json().get(), request));
                }
                out.append("data: ").append(data).append("\n\n");
            }
            send(exchange, 200, "text/event-stream", out.toString().getBytes(StandardCharsets.UTF_8));
            return;
        }
        StreamAssembly stream = StreamAssembly.of(SseTranscript.parse(recording).chunks().stream()
                .map(chunk -> renameTools(chunk, request)).toList());
        ObjectNode completion = stream.toCompletion();
        for (JsonNode choice : completion.path("choices")) {
            ObjectNode message = (ObjectNode) choice.path("message");
            if (!message.has("content")) {
                message.putNull("content");
            }
            message.putNull("refusal");
            if (!choice.has("logprobs")) {
                ((ObjectNode) choice).putNull("logprobs");
            } else {
                ((ObjectNode) choice.path("logprobs")).putNull("refusal");
            }
        }
        send(exchange, 200, "application/json", JSON.writeValueAsBytes(completion));
    }

    /** The chunk with every function name replaced by the request's first declared tool. */
    private static JsonNode renameTools(JsonNode chunk, JsonNode request) {
        String declared = request.path("tools").path(0).path("function").path("name").asText(null);
        if (declared == null) {
            return chunk;
        }
        JsonNode copy = chunk.deepCopy();
        for (JsonNode choice : copy.path("choices")) {
            for (JsonNode call : choice.path("delta").path("tool_calls")) {
                if (call.path("function").has("name")) {
                    ((ObjectNode) call.path("function")).put("name", declared);
                }
            }
        }
        return copy;
    }

    private static void error(HttpExchange exchange, int status, String message, String param, String code)
            throws IOException {
        ObjectNode body = JSON.createObjectNode();
        body.putObject("error").put("message", message).put("type", "invalid_request_error").put("param", param)
                .put("code", code);
        send(exchange, status, "application/json", JSON.writeValueAsBytes(body));
    }

    private static void send(HttpExchange exchange, int status, String contentType, byte[] body) throws IOException {
        exchange.getResponseHeaders().add("Content-Type", contentType);
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }
}
