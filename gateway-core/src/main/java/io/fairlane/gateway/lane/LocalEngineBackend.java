package io.fairlane.gateway.lane;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.engine.EmbeddingRequest;
import io.fairlane.engine.EmbeddingResult;
import io.fairlane.engine.EngineException;
import io.fairlane.engine.InferenceEngine;
import io.fairlane.engine.ModelInfo;
import io.fairlane.engine.OutputConstraint;
import io.fairlane.engine.PreparedPrompt;
import io.fairlane.engine.Prompt;
import io.fairlane.engine.SamplingParams;
import io.fairlane.engine.TokenEvent;
import io.fairlane.gateway.config.LocalModelConfig;
import io.fairlane.gateway.config.ServerConfig;
import io.fairlane.gateway.config.TenantConfig;
import io.fairlane.gateway.http.ApiException;
import io.fairlane.gateway.http.Exchange;
import io.fairlane.gateway.http.Json;
import io.fairlane.gateway.http.RateLimitHeaders;
import io.fairlane.gateway.metrics.LaneMetrics;
import io.fairlane.gateway.openai.ChatCompletionRequest;
import io.fairlane.gateway.openai.ChatMessage;
import io.fairlane.gateway.openai.CompletionRequest;
import io.fairlane.gateway.openai.EmbeddingsRequest;
import io.fairlane.gateway.openai.SamplingOptions;
import io.fairlane.gateway.openai.ToolDefinition;
import io.fairlane.gateway.openai.Usages;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.RejectedExecutionException;

/**
 * A lane served by Fairlane's own engine. Chat prompts go to the engine as plain maps, rendered by the
 * model's chat template (tools included); the engine's token events come back on its loop thread and hop
 * to the client's event loop, where {@link LocalChatRun} / {@link LocalCompletionRun} turn them into
 * OpenAI's JSON or chunk stream. Admission happens in the engine: its waiting queue is the lane's tenant
 * scheduler. Forced tool calls and {@code response_format: json_object} are honoured by constrained decoding
 * ({@link OutputConstraint}).
 *
 * <p>Thread-safe: the engine is; each run is confined to its client's event loop.
 */
public final class LocalEngineBackend implements Backend {

    private final LocalModelConfig config;
    private final InferenceEngine engine;
    private final ServerConfig server;
    private final LaneMetrics laneMetrics;

    public LocalEngineBackend(LocalModelConfig config, InferenceEngine engine, ServerConfig server,
                              LaneMetrics laneMetrics) {
        this.config = Objects.requireNonNull(config, "config");
        this.engine = Objects.requireNonNull(engine, "engine");
        this.server = Objects.requireNonNull(server, "server");
        this.laneMetrics = Objects.requireNonNull(laneMetrics, "laneMetrics");
        laneMetrics.bindEngine(engine::snapshot);
        if (engine.schedulerSnapshot().isPresent()) {
            laneMetrics.bindScheduler(() -> engine.schedulerSnapshot().orElseThrow());
        }
    }

    public InferenceEngine engine() {
        return engine;
    }

    public LocalModelConfig config() {
        return config;
    }

    ServerConfig server() {
        return server;
    }

    @Override
    public String kind() {
        return "local";
    }

    @Override
    public void chat(Exchange exchange, ChatCompletionRequest request, RequestContext context) {
        rateLimitHeaders(exchange, context);
        unsupported(request);
        List<Map<String, Object>> messages = new ArrayList<>(request.messages().size());
        for (int i = 0; i < request.messages().size(); i++) {
            ChatMessage m = request.messages().get(i);
            if (m.hasNonTextParts()) {
                throw ApiException.unsupported("messages[" + i + "].content",
                        "carries images, audio or files, which model '" + config.id() + "' cannot read.");
            }
            messages.add(templateMessage(m));
        }
        List<Map<String, Object>> tools = new ArrayList<>(request.tools().size());
        for (ToolDefinition t : request.tools()) {
            if (!t.type().equals("function")) {
                throw ApiException.unsupported("tools", "of type '" + t.type() + "' are not supported by local models.");
            }
            tools.add(asMap(t.raw()));
        }
        if ("none".equals(request.toolChoice())) {
            tools = List.of();
        }
        OutputConstraint constraint = constraint(request);
        PreparedPrompt prompt = engine.prepare(new Prompt.Chat(messages, tools, true, request.templateArguments()));
        ModelInfo model = engine.model();
        SamplingParams sampling = sampling(request.sampling(), request.logprobs(), request.topLogprobs(), prompt,
                model, "messages").withConstraint(constraint);
        new LocalChatRun(this, exchange, context, request, prompt, sampling).start();
        rateLimitHeaders(exchange, context);
    }

    @Override
    public void completions(Exchange exchange, CompletionRequest request, RequestContext context) {
        rateLimitHeaders(exchange, context);
        if (request.suffix() != null) {
            throw ApiException.unsupported("suffix", "is not supported by local models (no insertion mode).");
        }
        if (request.bestOf() > request.n()) {
            throw ApiException.unsupported("best_of", "greater than n is not supported by local models.");
        }
        if (request.echo() && request.logprobs() >= 0) {
            throw ApiException.unsupported("logprobs", "together with echo is not supported by local models "
                    + "(prompt tokens are not scored).");
        }
        if (request.sampling().maxTokens().orElse(1) == 0) {
            throw ApiException.invalidRequest("max_tokens must be at least 1 on model '" + config.id() + "'.",
                    "max_tokens", "integer_below_min_value");
        }
        ModelInfo model = engine.model();
        List<PreparedPrompt> prompts = new ArrayList<>(request.prompts().size());
        List<SamplingParams> samplings = new ArrayList<>(request.prompts().size());
        for (Prompt p : request.prompts()) {
            PreparedPrompt prepared = engine.prepare(p);
            prompts.add(prepared);
            samplings.add(sampling(request.sampling(), request.logprobs() >= 0, Math.max(0, request.logprobs()),
                    prepared, model, "prompt"));
        }
        new LocalCompletionRun(this, exchange, context, request, prompts, samplings).start();
        rateLimitHeaders(exchange, context);
    }

    @Override
    public void embeddings(Exchange exchange, EmbeddingsRequest request, RequestContext context) {
        rateLimitHeaders(exchange, context);
        List<PreparedPrompt> inputs = new ArrayList<>(request.inputs().size());
        for (Prompt p : request.inputs()) {
            inputs.add(engine.prepare(p));
        }
        ModelInfo model = engine.model();
        if (request.dimensions() > model.hiddenSize()) {
            throw ApiException.invalidRequest("Invalid 'dimensions': model '" + config.id() + "' has "
                    + model.hiddenSize() + " dimensions, so at most " + model.hiddenSize() + " can be returned.",
                    "dimensions", "integer_above_max_value");
        }
        for (int i = 0; i < inputs.size(); i++) {
            if (inputs.get(i).length() > model.contextLength()) {
                throw new EngineException(EngineException.Kind.CONTEXT_LENGTH_EXCEEDED, "This model's maximum "
                        + "context length is " + model.contextLength() + " tokens, however input " + i + " has "
                        + inputs.get(i).length() + " tokens. Please reduce your input.", "input");
            }
        }
        exchange.log().promptTokens = inputs.stream().mapToInt(PreparedPrompt::length).sum();
        engine.embed(new EmbeddingRequest(exchange.requestId(), context.tenant().id(), context.tier(), inputs,
                request.dimensions())).whenComplete((result, error) -> {
                    try {
                        exchange.execute(() -> embedded(exchange, request, result, error));
                    } catch (RejectedExecutionException e) {
                        // the server is stopping; the exchange goes with it
                    }
                });
        rateLimitHeaders(exchange, context);
    }

    private void embedded(Exchange exchange, EmbeddingsRequest request, EmbeddingResult result, Throwable error) {
        if (exchange.isDone()) {
            return;
        }
        if (error != null) {
            exchange.fail(error);
            return;
        }
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.put("object", "list");
        ArrayNode data = body.putArray("data");
        for (int i = 0; i < result.vectors().size(); i++) {
            ObjectNode item = data.addObject();
            item.put("object", "embedding");
            item.put("index", i);
            float[] v = result.vectors().get(i);
            if (request.base64()) {
                ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                for (float f : v) {
                    b.putFloat(f);
                }
                item.put("embedding", Base64.getEncoder().encodeToString(b.array()));
            } else {
                ArrayNode arr = item.putArray("embedding");
                for (float f : v) {
                    arr.add(f);
                }
            }
        }
        body.put("model", config.id());
        body.set("usage", Usages.embeddings(result.promptTokens()));
        exchange.log().promptTokens = result.promptTokens();
        exchange.respond(HttpResponseStatus.OK, Json.write(exchange.alloc(), body));
    }

    /**
     * Sets the {@code x-ratelimit-*} headers: once on arrival, so that a request refused before it reaches
     * the engine carries them too, and again after the engine admitted it, so that the response shows the
     * limits with this request's reservation taken (events reach the exchange through its event loop, on
     * which this runs, so no response has started yet).
     */
    private void rateLimitHeaders(Exchange exchange, RequestContext context) {
        RateLimitHeaders.apply(exchange.responseHeaders(), engine.rateLimitStatus(context.tenant().id()));
    }

    /**
     * The shape the engine must constrain the output to, or null for free text. A forced tool call
     * ({@code tool_choice: "required"} or a named function) becomes one call of a declared function (the named
     * one, or for "required" one of those allowed, chosen by the model under the constraint) whose arguments
     * are a JSON object; {@code response_format: json_object} a JSON object. Both are JSON syntax, not JSON
     * Schema: a tool's {@code parameters} schema is not enforced, and {@code json_schema} is refused.
     */
    private static OutputConstraint constraint(ChatCompletionRequest request) {
        String choice = request.toolChoice();
        OutputConstraint constraint = null;
        if (choice != null && choice.startsWith("function:")) {
            constraint = OutputConstraint.toolCall(List.of(choice.substring("function:".length())));
        } else if ("required".equals(choice)) {
            constraint = OutputConstraint.toolCall(requiredNames(request));
        } else if ("json_object".equals(request.responseFormat())) {
            constraint = OutputConstraint.jsonObject();
        }
        if (constraint != null && request.sampling().ignoreEos()) {
            throw ApiException.unsupported("ignore_eos", "cannot be combined with a forced tool call or a JSON "
                    + "response format on local models: the constrained output ends with EOS.");
        }
        return constraint;
    }

    /** The functions a "required" call may name: all tools, or those {@code allowed_tools} lists. */
    private static List<String> requiredNames(ChatCompletionRequest request) {
        List<String> names = new ArrayList<>();
        JsonNode allowed = request.raw().path("tool_choice").path("allowed_tools").path("tools");
        for (ToolDefinition t : request.tools()) {
            boolean listed = !allowed.isArray();
            for (JsonNode a : allowed) {
                listed |= t.name().equals(a.path("function").path("name").asText(null));
            }
            if (listed && !names.contains(t.name())) {
                names.add(t.name());
            }
        }
        if (names.isEmpty()) {
            throw ApiException.invalidRequest("Invalid value for 'tool_choice': 'allowed_tools' names no function "
                    + "defined in 'tools'.", "tool_choice", "invalid_value");
        }
        return names;
    }

    /** Parameters whose meaning a local model cannot honour are refused rather than silently ignored. */
    private void unsupported(ChatCompletionRequest request) {
        if ("json_schema".equals(request.responseFormat())) {
            throw ApiException.unsupported("response_format", "'json_schema' is not supported by local models: their"
                    + " constrained decoding enforces JSON syntax, not a schema. Use 'json_object' (and validate the"
                    + " result) or an upstream model.");
        }
        JsonNode raw = request.raw();
        if (raw.hasNonNull("audio") || raw.path("modalities").toString().contains("audio")) {
            throw ApiException.unsupported("audio", "output is not supported by local models.");
        }
        if (raw.hasNonNull("prediction")) {
            throw ApiException.unsupported("prediction", "(predicted outputs) is not supported by local models.");
        }
        if (raw.hasNonNull("web_search_options")) {
            throw ApiException.unsupported("web_search_options", "is not supported by local models.");
        }
        if (raw.hasNonNull("functions") || raw.hasNonNull("function_call")) {
            throw ApiException.unsupported("functions", "(the deprecated form of tools) is not supported by local "
                    + "models; use 'tools'.");
        }
    }

    /**
     * A message as a chat template sees it: plain maps, content flattened to a string when it was a list
     * of text parts (templates of open models expect a string).
     */
    private static Map<String, Object> templateMessage(ChatMessage m) {
        Map<String, Object> out = asMap(m.raw());
        if (m.content() != null && m.content().isArray()) {
            out.put("content", m.text());
        }
        if (m.toolCalls().isEmpty()) {
            return out;
        }
        // Templates render arguments as objects (Qwen, Hermes): parse the JSON strings where they are JSON.
        List<Map<String, Object>> calls = new ArrayList<>();
        for (ChatMessage.ToolCall c : m.toolCalls()) {
            Map<String, Object> fn = new LinkedHashMap<>();
            fn.put("name", c.name());
            fn.put("arguments", argumentsValue(c.arguments()));
            Map<String, Object> call = new LinkedHashMap<>();
            call.put("id", c.id());
            call.put("type", "function");
            call.put("function", fn);
            calls.add(call);
        }
        out.put("tool_calls", calls);
        return out;
    }

    private static Object argumentsValue(String arguments) {
        try {
            JsonNode n = Json.MAPPER.readTree(arguments);
            if (n != null && n.isObject()) {
                return Json.MAPPER.convertValue(n, Map.class);
            }
        } catch (java.io.IOException e) {
            // not JSON: the template gets the string
        }
        return arguments;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(JsonNode node) {
        return Json.MAPPER.convertValue(node, LinkedHashMap.class);
    }

    /**
     * Sampling parameters from the request, with OpenAI's defaults (temperature 1, top_p 1) and, when the
     * client set no limit, room up to the context length. {@code top_p: 0} means greedy.
     */
    static SamplingParams sampling(SamplingOptions o, boolean logprobs, int topLogprobs, PreparedPrompt prompt,
                                   ModelInfo model, String promptParam) {
        int room = model.contextLength() - prompt.length();
        if (room < 1) {
            throw new EngineException(EngineException.Kind.CONTEXT_LENGTH_EXCEEDED, "This model's maximum context "
                    + "length is " + model.contextLength() + " tokens. However, your " + promptParam + " resulted in "
                    + prompt.length() + " tokens. Please reduce the length of the " + promptParam + ".", promptParam);
        }
        int maxTokens = o.maxTokens().orElse(room);
        double temperature = o.temperature().orElse(1.0);
        double topP = o.topP().orElse(1.0);
        if (topP <= 0) {
            temperature = 0;
            topP = 1;
        }
        return new SamplingParams(temperature, topP, o.topK().orElse(0), o.minP().orElse(0),
                o.seed().isPresent() ? OptionalLong.of(o.seed().getAsLong()) : OptionalLong.empty(),
                o.presencePenalty().orElse(0), o.frequencyPenalty().orElse(0), o.logitBias(), logprobs, topLogprobs,
                maxTokens, o.stop(), o.ignoreEos());
    }

    /** A sink that hands each engine event to the client's event loop and never throws. */
    static io.fairlane.engine.TokenSink sink(Exchange exchange, java.util.function.Consumer<TokenEvent> handler) {
        return event -> {
            try {
                exchange.execute(() -> handler.accept(event));
            } catch (RejectedExecutionException e) {
                // the server is stopping; the engine is being closed too
            }
        };
    }

    @Override
    public void updateTenants(List<TenantConfig> tenants) {
        engine.updateTenants(tenants.stream().map(TenantConfig::toSpec).toList());
    }

    @Override
    public void close() {
        laneMetrics.close();
        engine.close();
    }

    @Override
    public String toString() {
        return "LocalEngineBackend[" + config.id() + "]";
    }
}
