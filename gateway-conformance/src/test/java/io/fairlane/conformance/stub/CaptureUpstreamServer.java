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
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * An upstream that answers chat completions with the streams recorded from api.openai.com in the shared
 * fixtures: tools get the parallel tool-call recording, logprobs the logprobs one, anything else the plain
 * text one; non-streamed requests get the same recording reassembled. The usage chunk is sent only when
 * the request opts in, as OpenAI does. The recordings called tools of their own, so function names are
 * replaced by the first tool the request declares; each answer gets an id of its own, as a live server's
 * would. It cannot honour n, stop or seeds (it replays fixed recordings): n is refused with a 400 naming it,
 * and a harness run declares stop and seed not applicable.
 *
 * <p>The captures hold no embeddings, so {@value #EMBEDDING_MODEL} embeddings are made up here: a few
 * dimensions derived from a hash of each input, unit length, in float or little-endian base64 as asked.
 * They exercise the proxy path, not OpenAI's numbers.
 *
 * <p>This is the upstream of the conformance "upstream lane": the harness runs against Fairlane proxying
 * to it, and directly against it to show what OpenAI's own traffic looks like to the checks.
 */
public final class CaptureUpstreamServer implements AutoCloseable {

    public static final String MODEL = "gpt-4o-2024-08-06";
    public static final String EMBEDDING_MODEL = "text-embedding-3-small";
    public static final String KEY = "sk-capture-upstream";
    static final int DIMENSIONS = 16;
    static final String PLAIN = "chat-stream-11.sse";
    static final String TOOLS = "chat-stream-12.sse";
    static final String LOGPROBS = "chat-stream-06.sse";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path captures;
    private final boolean requiresKey;
    private final AtomicLong answers = new AtomicLong();
    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();

    private CaptureUpstreamServer(Path captures, boolean requiresKey) throws IOException {
        this.captures = captures;
        this.requiresKey = requiresKey;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    /** Starts serving the recordings in {@code captures} (the fixtures' {@code openai-sse-captures}) to {@link #KEY}. */
    public static CaptureUpstreamServer start(Path captures) throws IOException {
        return start(captures, true);
    }

    /**
     * As {@link #start(Path)}; {@code requiresKey} false serves anyone, as an upstream behind a gateway that
     * authenticates its own clients may.
     */
    public static CaptureUpstreamServer start(Path captures, boolean requiresKey) throws IOException {
        for (String name : List.of(PLAIN, TOOLS, LOGPROBS)) {
            if (!Files.isRegularFile(captures.resolve(name))) {
                throw new IllegalArgumentException("no recording " + name + " in " + captures);
            }
        }
        return new CaptureUpstreamServer(captures, requiresKey);
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
            if (requiresKey && !("Bearer " + KEY).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
                error(exchange, 401, "Incorrect API key provided.", null, "invalid_api_key");
            } else if (path.equals("/v1/models")) {
                ObjectNode list = JSON.createObjectNode().put("object", "list");
                list.putArray("data").add(model(MODEL)).add(model(EMBEDDING_MODEL));
                send(exchange, 200, "application/json", JSON.writeValueAsBytes(list));
            } else if (path.startsWith("/v1/models/")) {
                String id = path.substring("/v1/models/".length());
                if (id.equals(MODEL) || id.equals(EMBEDDING_MODEL)) {
                    send(exchange, 200, "application/json", JSON.writeValueAsBytes(model(id)));
                } else {
                    error(exchange, 404, "The model does not exist.", null, "model_not_found");
                }
            } else if (path.equals("/v1/chat/completions")) {
                chat(exchange, JSON.readTree(body));
            } else if (path.equals("/v1/embeddings")) {
                embeddings(exchange, JSON.readTree(body));
            } else {
                error(exchange, 404, "Unknown path.", null, "not_found");
            }
        }
    }

    private static ObjectNode model(String id) {
        return JSON.createObjectNode().put("id", id).put("object", "model").put("created", 1722814719L)
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
        String id = "chatcmpl-capture" + answers.incrementAndGet();
        boolean includeUsage = request.path("stream_options").path("include_usage").asBoolean(false);
        if (request.path("stream").asBoolean(false)) {
            StringBuilder out = new StringBuilder();
            for (var event : SseTranscript.parse(recording).events()) {
                boolean usageChunk = event.json().map(j -> j.path("choices").isEmpty() && j.has("usage")).orElse(false);
                if (usageChunk && !includeUsage) {
                    continue;
                }
                String data = event.data();
                if (event.json().isPresent()) {
                    data = JSON.writeValueAsString(withId(renameTools(event.json().get(), request), id));
                }
                out.append("data: ").append(data).append("\n\n");
            }
            send(exchange, 200, "text/event-stream", out.toString().getBytes(StandardCharsets.UTF_8));
            return;
        }
        StreamAssembly stream = StreamAssembly.of(SseTranscript.parse(recording).chunks().stream()
                .map(chunk -> withId(renameTools(chunk, request), id)).toList());
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

    private static JsonNode withId(JsonNode chunk, String id) {
        JsonNode copy = chunk.deepCopy();
        if (copy instanceof ObjectNode o && o.has("id")) {
            o.put("id", id);
        }
        return copy;
    }

    /** Made-up embeddings: see the class comment. */
    private static void embeddings(HttpExchange exchange, JsonNode request) throws IOException {
        if (!EMBEDDING_MODEL.equals(request.path("model").asText())) {
            error(exchange, 404, "The model `" + request.path("model").asText() + "` does not exist.", null,
                    "model_not_found");
            return;
        }
        JsonNode input = request.path("input");
        List<String> texts = new java.util.ArrayList<>();
        if (input.isTextual()) {
            texts.add(input.asText());
        } else if (input.isArray() && !input.isEmpty() && input.get(0).isTextual()) {
            input.forEach(i -> texts.add(i.asText()));
        } else {
            error(exchange, 400, "'input' must be a string or a list of strings here.", "input", "invalid_value");
            return;
        }
        boolean base64 = "base64".equals(request.path("encoding_format").asText("float"));
        ObjectNode body = JSON.createObjectNode().put("object", "list");
        var data = body.putArray("data");
        int tokens = 0;
        for (int i = 0; i < texts.size(); i++) {
            float[] v = vector(texts.get(i));
            tokens += Math.max(1, texts.get(i).split("\\s+").length);
            ObjectNode item = data.addObject().put("object", "embedding").put("index", i);
            if (base64) {
                ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                for (float f : v) {
                    b.putFloat(f);
                }
                item.put("embedding", Base64.getEncoder().encodeToString(b.array()));
            } else {
                var values = item.putArray("embedding");
                for (float f : v) {
                    values.add(f);
                }
            }
        }
        body.put("model", EMBEDDING_MODEL);
        body.putObject("usage").put("prompt_tokens", tokens).put("total_tokens", tokens);
        send(exchange, 200, "application/json", JSON.writeValueAsBytes(body));
    }

    private static float[] vector(String text) {
        byte[] hash;
        try {
            hash = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        float[] v = new float[DIMENSIONS];
        double norm = 0;
        for (int i = 0; i < DIMENSIONS; i++) {
            v[i] = hash[i] / 128f;
            norm += v[i] * v[i];
        }
        for (int i = 0; i < DIMENSIONS; i++) {
            v[i] /= (float) Math.sqrt(Math.max(norm, 1e-12));
        }
        return v;
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
