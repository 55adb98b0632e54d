package io.fairlane.conformance.stub;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small OpenAI-compatible server for tests: behaves by the wire contract in every respect the harness
 * checks (streams, tools, usage, n, stop, logprobs, seeds, embeddings, models, errors, rate limits,
 * idempotency), unless told to commit {@link Breakage}s. Text is made of words from a fixed list, chosen
 * by a generator seeded from the prompt (temperature 0) or from the seed, so determinism is real.
 *
 * <p>Runs on the JDK's HttpServer on 127.0.0.1 and an ephemeral port; one virtual thread per exchange.
 */
public final class StubOpenAiServer implements AutoCloseable {

    public static final String CHAT_MODEL = "stub-chat";
    public static final String EMBEDDING_MODEL = "stub-embed";
    public static final String MID_STREAM_ERROR_MODEL = "stub-mid-stream-error";
    public static final String KEY = "sk-stub-valid";
    public static final String RATE_LIMITED_KEY = "sk-stub-limited";
    public static final String NO_QUOTA_KEY = "sk-stub-no-quota";
    public static final int RATE_LIMIT = 2;
    public static final int MAX_BODY_BYTES = 64 * 1024;
    public static final int DIMENSIONS = 8;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> WORDS = List.of("the", "sea", "is", "calm", "and", "wide", "under", "a",
            "grey", "sky", "while", "boats", "drift", "slowly", "toward", "harbour", "lights", "at", "dusk", "waves",
            "fold", "over", "smooth", "stones", "near", "shore");

    private final Set<Breakage> breakages;
    private final boolean refusesForcedToolCalls;
    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final AtomicInteger ids = new AtomicInteger();
    private final AtomicInteger rateLimitedRequests = new AtomicInteger();
    private final Map<String, StoredResponse> idempotency = new ConcurrentHashMap<>();
    private final Random unseeded = new Random();
    private final StubResponses responses = new StubResponses(this);
    private final StubFiles files;

    private record StoredResponse(JsonNode requestBody, byte[] response) {
    }

    private StubOpenAiServer(Set<Breakage> breakages, boolean refusesForcedToolCalls) throws IOException {
        this.breakages = breakages.isEmpty() ? EnumSet.noneOf(Breakage.class) : EnumSet.copyOf(breakages);
        this.refusesForcedToolCalls = refusesForcedToolCalls;
        this.files = new StubFiles(this.breakages);
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    public static StubOpenAiServer start(Breakage... breakages) throws IOException {
        return new StubOpenAiServer(breakages.length == 0 ? Set.of() : EnumSet.of(breakages[0], breakages), false);
    }

    /**
     * A well-behaved stub that, like a server without constrained decoding, cannot force a tool call: it
     * refuses {@code tool_choice: "required"} and named functions with a 400 naming {@code tool_choice}.
     */
    public static StubOpenAiServer startRefusingForcedToolCalls() throws IOException {
        return new StubOpenAiServer(Set.of(), true);
    }

    /** The base URL an SDK takes: {@code http://127.0.0.1:PORT/v1}. */
    public URI baseUrl() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/v1");
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    boolean broken(Breakage breakage) {
        return breakages.contains(breakage);
    }

    // ---------------------------------------------------------------- routing

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            route(exchange);
        } catch (RuntimeException e) {
            sendError(exchange, 500, "server_error", "stub failure: " + e, null, "server_error");
        }
    }

    private void route(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        String method = exchange.getRequestMethod();
        String key = bearer(exchange);
        if (key == null || !(key.equals(KEY) || key.equals(RATE_LIMITED_KEY) || key.equals(NO_QUOTA_KEY))) {
            drain(exchange);
            sendError(exchange, broken(Breakage.UNAUTHORIZED_403) ? 403 : 401, "invalid_request_error",
                    "Incorrect API key provided.", null, "invalid_api_key");
            return;
        }
        String length = exchange.getRequestHeaders().getFirst("Content-Length");
        if (length != null && Long.parseLong(length) > MAX_BODY_BYTES && !broken(Breakage.OVERSIZED_ACCEPTED)) {
            // The JDK server has already sent "100 Continue"; discard the body so the 413 is read, not reset.
            drain(exchange);
            sendError(exchange, 413, "invalid_request_error", "Request body exceeds " + MAX_BODY_BYTES + " bytes.",
                    null, "request_too_large");
            return;
        }
        byte[] body = exchange.getRequestBody().readAllBytes();
        if (key.equals(NO_QUOTA_KEY)) {
            if (!broken(Breakage.QUOTA_WITHOUT_SHOULD_RETRY_FALSE)) {
                exchange.getResponseHeaders().add("x-should-retry", "false");
            }
            sendError(exchange, 429, "insufficient_quota", "You exceeded your current quota.", null,
                    "insufficient_quota");
            return;
        }
        if (key.equals(RATE_LIMITED_KEY) && rateLimitedRequests.incrementAndGet() > RATE_LIMIT) {
            var headers = exchange.getResponseHeaders();
            if (!broken(Breakage.RATE_LIMIT_WITHOUT_RETRY_AFTER)) {
                headers.add("retry-after", "1");
            }
            headers.add("x-ratelimit-limit-requests", String.valueOf(RATE_LIMIT));
            headers.add("x-ratelimit-remaining-requests", "0");
            headers.add("x-ratelimit-reset-requests", "1s");
            sendError(exchange, 429, "requests", "Rate limit reached for requests.", null, "rate_limit_exceeded");
            return;
        }
        if (method.equals("GET") && path.equals("/v1/models")) {
            models(exchange);
        } else if (method.equals("GET") && path.startsWith("/v1/models/")) {
            model(exchange, path.substring("/v1/models/".length()));
        } else if (method.equals("POST") && path.equals("/v1/chat/completions")) {
            JsonNode request = parse(exchange, body);
            if (request != null) {
                chat(exchange, request);
            }
        } else if (path.equals("/v1/responses") || path.startsWith("/v1/responses/")) {
            responses.handle(exchange, method, path, body);
        } else if (method.equals("POST") && path.equals("/v1/embeddings")) {
            JsonNode request = parse(exchange, body);
            if (request != null) {
                embeddings(exchange, request);
            }
        } else {
            StubFiles.Reply reply = files.handle(method, path, exchange.getRequestURI().getRawQuery(),
                    exchange.getRequestHeaders().getFirst("Content-Type"), body);
            switch (reply) {
                case null -> sendError(exchange, 404, "invalid_request_error", "Unknown path " + path, null,
                        "not_found");
                case StubFiles.Json j -> sendJson(exchange, j.status(), j.body());
                case StubFiles.Bytes b -> sendBytes(exchange, 200, "application/octet-stream", b.body());
                case StubFiles.Error e -> sendError(exchange, e.status(), "invalid_request_error", e.message(),
                        e.param(), e.code());
            }
        }
    }

    private JsonNode parse(HttpExchange exchange, byte[] body) throws IOException {
        try {
            JsonNode node = JSON.readTree(body);
            if (node != null && node.isObject()) {
                return node;
            }
        } catch (IOException e) {
            // answered below
        }
        if (broken(Breakage.OVERSIZED_ACCEPTED) && body.length > MAX_BODY_BYTES) {
            sendError(exchange, 400, "invalid_request_error", "Could not handle the body.", null, null);
            return null;
        }
        sendError(exchange, 400, "invalid_request_error", "The body is not a JSON object.", null, "invalid_json");
        return null;
    }

    // ---------------------------------------------------------------- models

    private ObjectNode modelObject(String id) {
        ObjectNode model = JSON.createObjectNode();
        model.put("id", id);
        model.put("object", "model");
        model.put("created", 1_700_000_000L);
        if (!broken(Breakage.MODEL_NO_OWNED_BY)) {
            model.put("owned_by", "fairlane-stub");
        }
        return model;
    }

    private void models(HttpExchange exchange) throws IOException {
        ObjectNode list = JSON.createObjectNode();
        list.put("object", "list");
        ArrayNode data = list.putArray("data");
        if (!broken(Breakage.MODELS_LIST_OMITS_CHAT)) {
            data.add(modelObject(CHAT_MODEL));
        }
        data.add(modelObject(EMBEDDING_MODEL));
        sendJson(exchange, 200, list);
    }

    private void model(HttpExchange exchange, String id) throws IOException {
        boolean known = id.equals(CHAT_MODEL) || id.equals(EMBEDDING_MODEL);
        if (!known || broken(Breakage.MODEL_RETRIEVE_404)) {
            sendError(exchange, 404, "invalid_request_error", "The model '" + id + "' does not exist.", "model",
                    "model_not_found");
            return;
        }
        sendJson(exchange, 200, modelObject(id));
    }

    // ---------------------------------------------------------------- chat

    private void chat(HttpExchange exchange, JsonNode request) throws IOException {
        String model = request.path("model").asText("");
        if (!model.equals(CHAT_MODEL) && !model.equals(MID_STREAM_ERROR_MODEL)) {
            if (broken(Breakage.UNKNOWN_MODEL_400)) {
                sendError(exchange, 400, "invalid_request_error", "Bad model.", "model", null);
            } else {
                sendError(exchange, 404, "invalid_request_error", "The model '" + model + "' does not exist.", "model",
                        "model_not_found");
            }
            return;
        }
        if (!request.path("messages").isArray() || request.path("messages").isEmpty()) {
            sendValidationError(exchange, "messages is required and must be a non-empty list.", "messages");
            return;
        }
        JsonNode temperature = request.get("temperature");
        if (temperature != null && (!temperature.isNumber() || temperature.asDouble() < 0 || temperature.asDouble() > 2)) {
            sendValidationError(exchange, "temperature must be between 0 and 2.", "temperature");
            return;
        }
        JsonNode toolChoice = request.path("tool_choice");
        if (refusesForcedToolCalls && (toolChoice.isObject() || toolChoice.asText("").equals("required"))) {
            sendValidationError(exchange, "This server cannot force a tool call; use tool_choice 'auto'.",
                    "tool_choice");
            return;
        }
        String idempotencyKey = exchange.getRequestHeaders().getFirst("Idempotency-Key");
        if (idempotencyKey != null) {
            StoredResponse stored = idempotency.get(idempotencyKey);
            if (stored != null && !(stored.requestBody().equals(request) && broken(Breakage.IDEMPOTENCY_IGNORED))) {
                if (stored.requestBody().equals(request)) {
                    sendBytes(exchange, 200, "application/json", stored.response());
                } else if (broken(Breakage.IDEMPOTENCY_CONFLICT_409)) {
                    sendError(exchange, 409, "invalid_request_error", "Idempotency key in use.", null, null);
                } else {
                    sendError(exchange, 400, "invalid_request_error",
                            "This Idempotency-Key was used with a different request body.", null,
                            "idempotency_key_reused");
                }
                return;
            }
        }
        Generation generation = new Generation(request);
        boolean stream = request.path("stream").asBoolean(false);
        boolean faulty = model.equals(MID_STREAM_ERROR_MODEL)
                || "mid-stream".equals(exchange.getRequestHeaders().getFirst("x-stub-fault"));
        if (stream) {
            stream(exchange, request, generation, faulty);
            return;
        }
        byte[] response = JSON.writeValueAsBytes(completion(request, generation));
        if (idempotencyKey != null) {
            idempotency.putIfAbsent(idempotencyKey, new StoredResponse(request, response));
        }
        sendBytes(exchange, 200, "application/json", response);
    }

    /** What the stub "generates" for a request: per choice text pieces or tool calls, and a finish reason. */
    private final class Generation {
        final String id = "chatcmpl-stub-" + ids.incrementAndGet();
        final long created = 1_727_000_000L + ids.get();
        final List<List<String>> pieces = new ArrayList<>();
        final List<String> finishReasons = new ArrayList<>();
        final List<String[]> calls = new ArrayList<>(); // {id, name, arguments}
        final boolean plain;
        final int promptTokens;

        Generation(JsonNode request) {
            int n = request.path("n").asInt(1);
            boolean tools = request.path("tools").isArray() && !request.path("tools").isEmpty()
                    && !"none".equals(request.path("tool_choice").asText(""));
            boolean schema = "json_schema".equals(request.path("response_format").path("type").asText(""));
            plain = !tools && !schema && n == 1 && !request.has("stop") && !request.path("logprobs").asBoolean(false);
            promptTokens = 3 + request.path("messages").toString().split("\\s+").length;
            if (tools) {
                String name = request.path("tools").path(0).path("function").path("name").asText("tool");
                List<String> cities = request.path("parallel_tool_calls").asBoolean(true)
                        ? List.of("Paris", "Oslo") : List.of("Paris");
                for (int i = 0; i < cities.size(); i++) {
                    calls.add(new String[] {"call_stub_" + id.substring(id.lastIndexOf('-') + 1) + "_" + i, name,
                            "{\"city\":\"" + cities.get(i) + "\"}"});
                }
                finishReasons.add(broken(Breakage.TOOL_FINISH_STOP) ? "stop" : "tool_calls");
                pieces.add(List.of());
                return;
            }
            if (schema) {
                pieces.add(split(broken(Breakage.STRUCTURED_CHAT_IGNORES_SCHEMA) ? "the sea is calm"
                        : StubResponses.FORECAST));
                finishReasons.add("stop");
                return;
            }
            String prompt = request.path("messages").toString();
            double temperature = request.path("temperature").asDouble(1.0);
            int maxTokens = request.path("max_tokens").asInt(16);
            List<String> stops = new ArrayList<>();
            if (request.path("stop").isTextual()) {
                stops.add(request.path("stop").asText());
            }
            request.path("stop").forEach(s -> stops.add(s.asText()));
            for (int choice = 0; choice < n; choice++) {
                Random random;
                if (temperature == 0.0) {
                    random = new Random(prompt.hashCode());
                } else if (request.has("seed") && !broken(Breakage.SEED_IGNORED)) {
                    random = new Random(request.path("seed").asLong() * 31 + prompt.hashCode() + choice);
                } else {
                    random = new Random(unseeded.nextLong());
                }
                int count = Math.min(maxTokens, 12);
                StringBuilder text = new StringBuilder();
                for (int i = 0; i < count; i++) {
                    text.append(i == 0 ? "" : " ").append(WORDS.get(random.nextInt(WORDS.size())));
                }
                String finish = count < maxTokens ? "stop" : "length";
                String full = text.toString();
                if (!broken(Breakage.STOP_IGNORED)) {
                    for (String stop : stops) {
                        int at = full.indexOf(stop);
                        if (!stop.isEmpty() && at >= 0) {
                            full = full.substring(0, at);
                            finish = "stop";
                        }
                    }
                }
                pieces.add(split(full));
                finishReasons.add(finish);
            }
        }

        int completionTokens() {
            if (!calls.isEmpty()) {
                return 12 * calls.size();
            }
            return pieces.stream().mapToInt(List::size).sum();
        }
    }

    /** Splits text into word pieces that keep their leading space, as tokens do. */
    static List<String> split(String text) {
        List<String> pieces = new ArrayList<>();
        int start = 0;
        for (int i = 1; i < text.length(); i++) {
            if (text.charAt(i) == ' ') {
                pieces.add(text.substring(start, i));
                start = i;
            }
        }
        if (start < text.length()) {
            pieces.add(text.substring(start));
        }
        return pieces;
    }

    private ObjectNode usage(Generation generation) {
        ObjectNode usage = JSON.createObjectNode();
        int completion = generation.completionTokens();
        usage.put("prompt_tokens", generation.promptTokens);
        usage.put("completion_tokens", completion);
        usage.put("total_tokens", generation.promptTokens + completion);
        if (!broken(Breakage.USAGE_NO_CACHED_TOKENS)) {
            usage.putObject("prompt_tokens_details").put("cached_tokens", 0);
        }
        usage.putObject("completion_tokens_details").put("reasoning_tokens", 0);
        return usage;
    }

    private ArrayNode logprobs(List<String> tokens, int top) {
        ArrayNode content = JSON.createArrayNode();
        for (int i = 0; i < tokens.size(); i++) {
            ObjectNode entry = tokenLogprob(tokens.get(i), broken(Breakage.LOGPROB_POSITIVE) ? 0.5 : -0.05 * (i % 4) - 0.01);
            ArrayNode alternatives = entry.putArray("top_logprobs");
            for (int k = 0; k < top; k++) {
                alternatives.add(tokenLogprob(k == 0 ? tokens.get(i) : " " + WORDS.get(k), -0.5 * k - 0.01));
            }
            content.add(entry);
        }
        return content;
    }

    private static ObjectNode tokenLogprob(String token, double logprob) {
        ObjectNode entry = JSON.createObjectNode();
        entry.put("token", token);
        entry.put("logprob", logprob);
        ArrayNode bytes = entry.putArray("bytes");
        for (byte b : token.getBytes(StandardCharsets.UTF_8)) {
            bytes.add(b & 0xff);
        }
        return entry;
    }

    private ObjectNode completion(JsonNode request, Generation generation) {
        ObjectNode completion = JSON.createObjectNode();
        completion.put("id", generation.id);
        completion.put("object", "chat.completion");
        if (broken(Breakage.SCHEMA_CREATED_STRING)) {
            completion.put("created", "2024-09-26T10:00:00Z");
        } else {
            completion.put("created", generation.created);
        }
        completion.put("model", request.path("model").asText());
        completion.putNull("system_fingerprint");
        ArrayNode choices = completion.putArray("choices");
        boolean emptyChoices = broken(Breakage.COMPLETION_EMPTY_CHOICES) && generation.plain;
        for (int i = 0; i < generation.pieces.size() && !emptyChoices; i++) {
            ObjectNode choice = choices.addObject();
            choice.put("index", broken(Breakage.N_SAME_INDEX) ? 0 : i);
            ObjectNode message = choice.putObject("message");
            message.put("role", "assistant");
            if (!generation.calls.isEmpty()) {
                message.putNull("content");
                ArrayNode calls = message.putArray("tool_calls");
                for (String[] call : generation.calls) {
                    ObjectNode c = calls.addObject();
                    c.put("id", call[0]);
                    c.put("type", "function");
                    c.putObject("function").put("name", call[1]).put("arguments",
                            broken(Breakage.TOOL_MESSAGE_BAD_ARGUMENTS) ? call[2].substring(0, call[2].length() - 2)
                                    : call[2]);
                }
            } else {
                message.put("content", String.join("", generation.pieces.get(i)));
            }
            message.putNull("refusal");
            if (request.path("logprobs").asBoolean(false)) {
                ObjectNode logprobs = choice.putObject("logprobs");
                logprobs.set("content", logprobs(generation.pieces.get(i), request.path("top_logprobs").asInt(0)));
                logprobs.putNull("refusal");
            } else {
                choice.putNull("logprobs");
            }
            choice.put("finish_reason", generation.finishReasons.get(Math.min(i, generation.finishReasons.size() - 1)));
        }
        completion.set("usage", usage(generation));
        return completion;
    }

    // ---------------------------------------------------------------- streaming

    private void stream(HttpExchange exchange, JsonNode request, Generation generation, boolean faulty)
            throws IOException {
        boolean plain = generation.plain;
        exchange.getResponseHeaders().add("Content-Type",
                plain && broken(Breakage.SSE_WRONG_CONTENT_TYPE) ? "application/json" : "text/event-stream");
        exchange.getResponseHeaders().add("Cache-Control", "no-cache");
        exchange.sendResponseHeaders(200, 0);
        boolean includeUsage = request.path("stream_options").path("include_usage").asBoolean(false);
        String separator = plain && broken(Breakage.SSE_NO_BLANK_LINES) ? "\n" : "\n\n";
        int top = request.path("top_logprobs").asInt(0);
        boolean withLogprobs = request.path("logprobs").asBoolean(false);
        try (OutputStream out = exchange.getResponseBody()) {
            List<ObjectNode> chunks = new ArrayList<>();
            for (int i = 0; i < generation.pieces.size(); i++) {
                int index = broken(Breakage.N_SAME_INDEX) ? 0 : i;
                ObjectNode delta = JSON.createObjectNode();
                if (!(plain && broken(Breakage.CHUNK_NO_ROLE))) {
                    delta.put("role", "assistant");
                }
                if (generation.calls.isEmpty()) {
                    delta.put("content", "");
                } else {
                    delta.putNull("content");
                }
                chunks.add(chunk(request, generation, index, delta, null, null));
                if (faulty) {
                    for (String piece : generation.pieces.get(i).stream().limit(2).toList()) {
                        chunks.add(chunk(request, generation, index, JSON.createObjectNode().put("content", piece), null,
                                null));
                    }
                    break;
                }
                List<String> tokens = generation.pieces.get(i);
                for (String token : tokens) {
                    ArrayNode logprobs = withLogprobs ? logprobs(List.of(token), top) : null;
                    chunks.add(chunk(request, generation, index, JSON.createObjectNode().put("content", token), null,
                            logprobs));
                }
                for (int c = 0; c < generation.calls.size(); c++) {
                    String[] call = generation.calls.get(c);
                    int callIndex = broken(Breakage.TOOL_INDEXES_ALL_ZERO) ? 0 : c;
                    ObjectNode open = JSON.createObjectNode();
                    ObjectNode first = open.putArray("tool_calls").addObject();
                    first.put("index", callIndex);
                    if (!broken(Breakage.TOOL_FIRST_DELTA_WITHOUT_ID)) {
                        first.put("id", call[0]);
                    }
                    first.put("type", "function");
                    first.putObject("function").put("name", call[1]).put("arguments", "");
                    chunks.add(chunk(request, generation, index, open, null, null));
                    String arguments = call[2];
                    List<String> fragments = List.of(arguments.substring(0, 2), arguments.substring(2, 9),
                            arguments.substring(9));
                    for (int f = 0; f < fragments.size(); f++) {
                        String fragment = fragments.get(f);
                        if (f == fragments.size() - 1 && broken(Breakage.TOOL_ARGUMENTS_TRUNCATED)) {
                            fragment = fragment.substring(0, fragment.length() - 1);
                        }
                        ObjectNode more = JSON.createObjectNode();
                        ObjectNode callDelta = more.putArray("tool_calls").addObject();
                        callDelta.put("index", callIndex);
                        callDelta.putObject("function").put("arguments", fragment);
                        chunks.add(chunk(request, generation, index, more, null, null));
                    }
                }
                String finish = plain && broken(Breakage.CHUNK_NO_FINISH) ? null : generation.finishReasons.get(i);
                chunks.add(chunk(request, generation, index, JSON.createObjectNode(), finish, null));
            }
            if (plain && broken(Breakage.CHUNK_CREATED_DRIFTS)) {
                chunks.getLast().put("created", generation.created + 1);
            }
            boolean usageChunk = includeUsage ? !(plain && broken(Breakage.USAGE_CHUNK_MISSING))
                    : plain && broken(Breakage.USAGE_CHUNK_UNASKED);
            if (includeUsage) {
                chunks.forEach(c -> c.set("usage", NullNode.getInstance()));
            }
            if (usageChunk && !faulty) {
                ObjectNode last = chunk(request, generation, 0, null, null, null);
                last.putArray("choices");
                last.set("usage", usage(generation));
                chunks.add(last);
            }
            for (ObjectNode chunk : chunks) {
                write(out, "data: " + JSON.writeValueAsString(chunk) + separator);
            }
            if (faulty) {
                if (broken(Breakage.MID_STREAM_TRUNCATED)) {
                    write(out, "data: [DONE]\n\n");
                } else {
                    write(out, "data: " + JSON.writeValueAsString(errorBody("server_error",
                            "The engine failed while generating.", null, "server_error")) + "\n\n");
                }
                return;
            }
            if (!(plain && broken(Breakage.SSE_NO_DONE))) {
                write(out, "data: [DONE]" + separator);
            }
        }
    }

    private ObjectNode chunk(JsonNode request, Generation generation, int index, ObjectNode delta, String finish,
            ArrayNode logprobs) {
        ObjectNode chunk = JSON.createObjectNode();
        chunk.put("id", generation.id);
        chunk.put("object", broken(Breakage.SCHEMA_CHUNK_OBJECT_WRONG) ? "chat.completion" : "chat.completion.chunk");
        chunk.put("created", generation.created);
        chunk.put("model", request.path("model").asText());
        chunk.putNull("system_fingerprint");
        ArrayNode choices = chunk.putArray("choices");
        if (delta != null) {
            ObjectNode choice = choices.addObject();
            choice.put("index", index);
            choice.set("delta", delta);
            if (logprobs != null) {
                ObjectNode node = choice.putObject("logprobs");
                node.set("content", logprobs);
                node.putNull("refusal");
            } else {
                choice.putNull("logprobs");
            }
            if (finish == null) {
                choice.putNull("finish_reason");
            } else {
                choice.put("finish_reason", finish);
            }
        }
        return chunk;
    }

    static void write(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    // ---------------------------------------------------------------- embeddings

    private void embeddings(HttpExchange exchange, JsonNode request) throws IOException {
        if (!EMBEDDING_MODEL.equals(request.path("model").asText())) {
            sendError(exchange, 404, "invalid_request_error", "The model does not exist.", "model", "model_not_found");
            return;
        }
        List<String> inputs = new ArrayList<>();
        if (request.path("input").isTextual()) {
            inputs.add(request.path("input").asText());
        } else {
            request.path("input").forEach(i -> inputs.add(i.asText()));
        }
        if (inputs.isEmpty()) {
            sendValidationError(exchange, "input must not be empty.", "input");
            return;
        }
        boolean base64 = "base64".equals(request.path("encoding_format").asText("float"));
        ObjectNode response = JSON.createObjectNode();
        response.put("object", "list");
        ArrayNode data = response.putArray("data");
        int tokens = 0;
        for (int i = 0; i < inputs.size(); i++) {
            float[] vector = vector(inputs.get(i));
            tokens += inputs.get(i).split("\\s+").length;
            ObjectNode item = data.addObject();
            item.put("object", "embedding");
            item.put("index", broken(Breakage.EMBEDDING_INDEX_ZERO) && !base64 ? 0 : i);
            if (base64) {
                ByteBuffer buffer = ByteBuffer.allocate(vector.length * 4)
                        .order(broken(Breakage.BASE64_BIG_ENDIAN) ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
                for (float v : vector) {
                    buffer.putFloat(v);
                }
                item.put("embedding", Base64.getEncoder().encodeToString(buffer.array()));
            } else {
                ArrayNode values = item.putArray("embedding");
                for (float v : vector) {
                    values.add(v);
                }
            }
        }
        response.put("model", EMBEDDING_MODEL);
        if (!broken(Breakage.EMBEDDINGS_NO_USAGE)) {
            response.putObject("usage").put("prompt_tokens", tokens).put("total_tokens", tokens);
        }
        sendJson(exchange, 200, response);
    }

    static float[] vector(String input) {
        float[] vector = new float[DIMENSIONS];
        int hash = input.hashCode();
        for (int k = 0; k < DIMENSIONS; k++) {
            vector[k] = (float) (0.5 * Math.sin(hash * 0.001 + k));
        }
        return vector;
    }

    // ---------------------------------------------------------------- plumbing

    private static String bearer(HttpExchange exchange) {
        String header = exchange.getRequestHeaders().getFirst("Authorization");
        return header != null && header.startsWith("Bearer ") ? header.substring(7) : null;
    }

    private void sendValidationError(HttpExchange exchange, String message, String param) throws IOException {
        if (broken(Breakage.ERROR_CODE_INTEGER)) {
            ObjectNode body = errorBody("invalid_request_error", message, param, null);
            ((ObjectNode) body.get("error")).put("code", 400);
            sendJson(exchange, 400, body);
            return;
        }
        sendError(exchange, 400, "invalid_request_error", message, broken(Breakage.PARAM_NULL) ? null : param,
                "invalid_value");
    }

    void sendError(HttpExchange exchange, int status, String type, String message, String param, String code)
            throws IOException {
        sendJson(exchange, status, errorBody(type, message, param, code));
    }

    private ObjectNode errorBody(String type, String message, String param, String code) {
        ObjectNode body = JSON.createObjectNode();
        ObjectNode error = body.putObject("error");
        error.put("message", message);
        error.put("type", type);
        if (param != null || !broken(Breakage.ERROR_DROPS_NULL_KEYS)) {
            error.put("param", param);
        }
        if (code != null || !broken(Breakage.ERROR_DROPS_NULL_KEYS)) {
            error.put("code", code);
        }
        return body;
    }

    static void sendJson(HttpExchange exchange, int status, JsonNode body) throws IOException {
        sendBytes(exchange, status, "application/json", JSON.writeValueAsBytes(requireNonNull(body, "body")));
    }

    private static void sendBytes(HttpExchange exchange, int status, String contentType, byte[] body)
            throws IOException {
        exchange.getResponseHeaders().add("Content-Type", contentType);
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    private static void drain(HttpExchange exchange) throws IOException {
        try (InputStream in = exchange.getRequestBody()) {
            in.transferTo(OutputStream.nullOutputStream());
        }
    }
}
