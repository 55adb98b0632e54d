package io.fairlane.gateway.lane.local;

import io.fairlane.engine.EmbeddingRequest;
import io.fairlane.engine.EmbeddingResult;
import io.fairlane.engine.EngineException;
import io.fairlane.engine.GenerationRequest;
import io.fairlane.engine.GenerationStream;
import io.fairlane.engine.InferenceEngine;
import io.fairlane.engine.ModelInfo;
import io.fairlane.engine.OutputConstraint;
import io.fairlane.engine.PreparedPrompt;
import io.fairlane.engine.Prompt;
import io.fairlane.engine.SamplingParams;
import io.fairlane.engine.TokenEvent;
import io.fairlane.engine.TokenSink;
import io.fairlane.engine.Usage;
import io.fairlane.gateway.config.LocalModelConfig;
import io.fairlane.gateway.config.ServerConfig;
import io.fairlane.gateway.config.TenantConfig;
import io.fairlane.gateway.http.ApiException;
import io.fairlane.gateway.http.Exchange;
import io.fairlane.gateway.http.PreparationPool;
import io.fairlane.gateway.lane.Backend;
import io.fairlane.gateway.lane.RateLimitHeaders;
import io.fairlane.gateway.lane.RequestContext;
import io.fairlane.gateway.metrics.LaneMetrics;
import io.fairlane.gateway.openai.ChatCompletionRequest;
import io.fairlane.gateway.openai.CompletionRequest;
import io.fairlane.gateway.openai.EmbeddingsRequest;
import io.fairlane.gateway.openai.ServiceTiers;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A lane served by Fairlane's own engine. A request goes: checks of what a local model can honour
 * ({@link Refusals}, {@link GenerationParameters#constraint}), on the event loop; then the work that grows with
 * the prompt (template input, rendering and tokenising, sampling parameters, submission, in which the engine
 * hashes the prompt's KV blocks) in the {@link PreparationPool}, or inline for small requests; then, back on the
 * loop, a {@link LocalChatRun} or {@link LocalCompletionRun} turns the engine's token events into OpenAI's JSON or
 * chunk stream. Admission happens in the engine: its waiting queue is the lane's tenant scheduler. Forced tool
 * calls, {@code response_format: json_object} and JSON-Schema structured outputs ({@link StructuredOutputs}) are
 * honoured by constrained decoding ({@link OutputConstraint}).
 *
 * <p>Thread-safe: the engine is; each run is confined to its client's event loop.
 */
public final class LocalEngineBackend implements Backend {

    private static final int[] NO_IDS = new int[0];

    private final LocalModelConfig config;
    private final InferenceEngine engine;
    private final ServerConfig server;
    private final LaneMetrics laneMetrics;
    private final PreparationPool pool;
    /** One mailbox per event loop that serves this model's requests: engine events reach the loop in batches. */
    private final Map<EventExecutor, EngineEventMailbox> mailboxes = new ConcurrentHashMap<>();

    public LocalEngineBackend(LocalModelConfig config, InferenceEngine engine, ServerConfig server,
                              LaneMetrics laneMetrics, PreparationPool pool) {
        this.config = Objects.requireNonNull(config, "config");
        this.engine = Objects.requireNonNull(engine, "engine");
        this.server = Objects.requireNonNull(server, "server");
        this.laneMetrics = Objects.requireNonNull(laneMetrics, "laneMetrics");
        this.pool = Objects.requireNonNull(pool, "pool");
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

    private EngineEventMailbox mailbox(Exchange exchange) {
        return mailboxes.computeIfAbsent(exchange.eventLoop(), EngineEventMailbox::new);
    }

    @Override
    public String kind() {
        return "local";
    }

    /** A prepared and submitted chat: what the run needs, and the engine request to cancel if nobody takes it. */
    private record ChatSubmission(PreparedPrompt prompt, SamplingParams sampling, GenerationStream stream) {
    }

    @Override
    public void chat(Exchange exchange, ChatCompletionRequest request, RequestContext context) throws Exception {
        rateLimitHeaders(exchange, context);
        Refusals.chat(request, config.id());
        OutputConstraint constraint = GenerationParameters.constraint(request);
        EngineEventGate gate = new EngineEventGate(mailbox(exchange));
        String requestId = exchange.requestId();
        // A schema may take milliseconds to compile the first time: never on the event loop.
        boolean inline = inline(exchange) && !hasSchemas(request, constraint);
        pool.run(exchange, inline, new PreparationPool.Job<ChatSubmission>() {
            @Override
            public ChatSubmission run() {
                StructuredOutputs.checkUnforcedStrictTools(request, constraint);
                PreparedPrompt prompt = prepare(ChatPrompts.of(request, config.reasoningEffort()),
                        chatIds(request, context));
                SamplingParams sampling = GenerationParameters.sampling(request.sampling(), request.logprobs(),
                        request.topLogprobs(), prompt, engine.model(), "messages").withConstraint(constraint);
                GenerationStream stream;
                try {
                    stream = engine.submit(new GenerationRequest(requestId, context.tenant().id(), context.tier(),
                            context.tenant().cacheSalt(), prompt, sampling, request.n()), gate.sink(0));
                } catch (EngineException e) {
                    throw StructuredOutputs.refusal(e, request);
                }
                return new ChatSubmission(prompt, sampling, stream);
            }

            @Override
            public void then(ChatSubmission s) {
                rateLimitHeaders(exchange, context);
                ChatChunks chunks = new ChatChunks(request.model(), engine.model().fingerprint(),
                        ServiceTiers.wire(context.tier()), request.includeUsage());
                new LocalChatRun(exchange, request, s.prompt(), s.sampling(), chunks, output(exchange, context,
                        request.stream(), request.includeUsage())).start(s.stream(), gate);
            }

            @Override
            public void discard(ChatSubmission s) {
                s.stream().cancel();
                countWhenEnded(exchange, context, gate);
            }
        });
    }

    /** Every prompt of a legacy completion prepared and submitted. */
    private record CompletionSubmission(List<PreparedPrompt> prompts, List<GenerationStream> streams) {
        void cancel() {
            streams.forEach(GenerationStream::cancel);
        }
    }

    @Override
    public void completions(Exchange exchange, CompletionRequest request, RequestContext context) throws Exception {
        rateLimitHeaders(exchange, context);
        Refusals.completions(request, config.id());
        EngineEventGate gate = new EngineEventGate(mailbox(exchange));
        String requestId = exchange.requestId();
        pool.run(exchange, inline(exchange), new PreparationPool.Job<CompletionSubmission>() {
            @Override
            public CompletionSubmission run() {
                ModelInfo model = engine.model();
                List<PreparedPrompt> prompts = new ArrayList<>(request.prompts().size());
                List<SamplingParams> samplings = new ArrayList<>(request.prompts().size());
                for (Prompt p : request.prompts()) {
                    // A router tokenised the prompt when it was the only one, and text.
                    PreparedPrompt prepared = prepare(p, request.prompts().size() == 1 && p instanceof Prompt.Text
                            ? context.promptTokenIds() : NO_IDS);
                    prompts.add(prepared);
                    samplings.add(GenerationParameters.sampling(request.sampling(), request.logprobs() >= 0,
                            Math.max(0, request.logprobs()), prepared, model, "prompt"));
                }
                List<GenerationStream> streams = new ArrayList<>(prompts.size());
                try {
                    for (int p = 0; p < prompts.size(); p++) {
                        String id = prompts.size() == 1 ? requestId : requestId + "#" + p;
                        streams.add(submitCompletion(new GenerationRequest(id, context.tenant().id(), context.tier(),
                                context.tenant().cacheSalt(), prompts.get(p), samplings.get(p), request.n()),
                                gate.sink(p)));
                    }
                } catch (RuntimeException e) {
                    streams.forEach(GenerationStream::cancel);
                    throw e;
                }
                return new CompletionSubmission(prompts, streams);
            }

            @Override
            public void then(CompletionSubmission s) {
                rateLimitHeaders(exchange, context);
                new LocalCompletionRun(exchange, request, s.prompts(), engine.model().fingerprint(),
                        output(exchange, context, request.stream(), request.includeUsage())).start(s.streams(), gate);
            }

            @Override
            public void discard(CompletionSubmission s) {
                s.cancel();
                countWhenEnded(exchange, context, gate);
            }
        });
    }

    /**
     * A submission whose client left before its run started (while it was being prepared): the request's log has
     * been read, but what the engine used before the cancel took effect (a prefill, a few tokens) is charged to the
     * tenant all the same, so the token counters get it when the engine reports it.
     */
    private static void countWhenEnded(Exchange exchange, RequestContext context, EngineEventGate gate) {
        exchange.tryExecute(() -> {
            if (gate.attached()) {
                return; // a run took the events: it settles them
            }
            gate.attach((prompt, event) -> {
                Usage used = switch (event) {
                    case TokenEvent.Finished f -> f.usage();
                    case TokenEvent.Failed f -> f.usage();
                    default -> null;
                };
                if (used != null) {
                    context.meters().countTokens(used.promptTokens(), used.cachedTokens(), used.completionTokens());
                }
            });
        });
    }

    @Override
    public void embeddings(Exchange exchange, EmbeddingsRequest request, RequestContext context) throws Exception {
        rateLimitHeaders(exchange, context);
        pool.run(exchange, inline(exchange), () -> preparedInputs(request), inputs -> {
            exchange.log().promptTokens = inputs.stream().mapToInt(PreparedPrompt::length).sum();
            engine.embed(new EmbeddingRequest(exchange.requestId(), context.tenant().id(), context.tier(), inputs,
                    request.dimensions())).whenComplete((result, error) ->
                            exchange.tryExecute(() -> embedded(exchange, request, result, error)));
            rateLimitHeaders(exchange, context);
        });
    }

    /** Prepares every input and checks it against the model: work that grows with the inputs. */
    private List<PreparedPrompt> preparedInputs(EmbeddingsRequest request) {
        List<PreparedPrompt> inputs = new ArrayList<>(request.inputs().size());
        for (Prompt p : request.inputs()) {
            inputs.add(prepare(p));
        }
        ModelInfo model = engine.model();
        if (request.dimensions() > model.hiddenSize()) {
            throw ApiException.invalidRequest("Invalid 'dimensions': model '" + config.id() + "' has "
                    + model.hiddenSize() + " dimensions, so at most " + model.hiddenSize() + " can be returned.",
                    "dimensions", "integer_above_max_value");
        }
        for (int i = 0; i < inputs.size(); i++) {
            if (inputs.get(i).length() > model.contextLength()) {
                throw new ApiException(EngineErrors.contextLength("This model's maximum context length is "
                        + model.contextLength() + " tokens, however input " + i + " has " + inputs.get(i).length()
                        + " tokens. Please reduce your input.", "input"));
            }
        }
        return inputs;
    }

    private void embedded(Exchange exchange, EmbeddingsRequest request, EmbeddingResult result, Throwable error) {
        if (exchange.isDone()) {
            return;
        }
        if (error != null) {
            exchange.fail(EngineErrors.translate(error));
            return;
        }
        try {
            pool.run(exchange, Embeddings.floats(result) <= Embeddings.INLINE_FLOATS,
                    () -> Embeddings.body(result, request.base64(), config.id()), body -> {
                        exchange.log().promptTokens = result.promptTokens();
                        exchange.respond(HttpResponseStatus.OK, Unpooled.wrappedBuffer(body));
                    });
        } catch (Exception e) {
            exchange.fail(e);
        }
    }

    /** Whether the request carries JSON Schemas for the engine to compile (an output schema, strict tools). */
    private static boolean hasSchemas(ChatCompletionRequest request, OutputConstraint constraint) {
        return constraint instanceof OutputConstraint.JsonSchema
                || request.tools().stream().anyMatch(StructuredOutputs::strict);
    }

    /** Whether the request is small enough to prepare on the event loop (see the pool's threshold). */
    private static boolean inline(Exchange exchange) {
        return exchange.body().readableBytes() <= PreparationPool.PREPARE_INLINE_LIMIT;
    }

    private LocalOutput output(Exchange exchange, RequestContext context, boolean stream, boolean includeUsage) {
        return new LocalOutput(exchange, context, stream, includeUsage, server);
    }

    /**
     * The chat's ids as the router computed them, unless this model's configured reasoning effort makes the engine
     * render the chat differently from the router (which knows only the request).
     */
    private int[] chatIds(ChatCompletionRequest request, RequestContext context) {
        int[] ids = context.promptTokenIds();
        if (ids.length == 0 || config.reasoningEffort().isEmpty()) {
            return ids;
        }
        return ChatPrompts.templateArguments(request, config.reasoningEffort())
                .equals(ChatPrompts.templateArguments(request, Optional.empty())) ? ids : NO_IDS;
    }

    /** {@link #prepare(Prompt)} taking {@code ids} (a router's, verified) instead of tokenising, when there are any. */
    private PreparedPrompt prepare(Prompt prompt, int[] ids) {
        if (ids.length == 0) {
            return prepare(prompt);
        }
        try {
            return engine.prepare(prompt, ids);
        } catch (EngineException e) {
            throw EngineErrors.toApi(e);
        }
    }

    /** Renders (for chat) and tokenises {@code prompt}; the engine's refusal as an OpenAI error. */
    private PreparedPrompt prepare(Prompt prompt) {
        try {
            return engine.prepare(prompt);
        } catch (EngineException e) {
            throw EngineErrors.toApi(e);
        }
    }

    private GenerationStream submit(GenerationRequest g, TokenSink sink) {
        try {
            return engine.submit(g, sink);
        } catch (EngineException e) {
            throw EngineErrors.toApi(e);
        }
    }

    /** {@link #submit} for a legacy completion, where the prompt is at fault when the engine blames chat's messages. */
    private GenerationStream submitCompletion(GenerationRequest g, TokenSink sink) {
        try {
            return engine.submit(g, sink);
        } catch (EngineException e) {
            throw EngineErrors.toApi("messages".equals(e.param())
                    ? new EngineException(e.kind(), e.getMessage(), "prompt", e.rejection(), e) : e);
        }
    }

    /**
     * Sets the {@code x-ratelimit-*} headers: once on arrival, so that a request refused before it reaches
     * the engine carries them too, and again after the engine admitted it, so that the response shows the
     * limits with this request's reservation taken (the run attaches to the engine's events only after this,
     * so no response has started yet).
     */
    private void rateLimitHeaders(Exchange exchange, RequestContext context) {
        RateLimitHeaders.apply(exchange.responseHeaders(), engine.rateLimitStatus(context.tenant().id()));
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
