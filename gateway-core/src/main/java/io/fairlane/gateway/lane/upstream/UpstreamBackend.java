package io.fairlane.gateway.lane.upstream;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.engine.Prompt;
import io.fairlane.gateway.config.TenantConfig;
import io.fairlane.gateway.config.UpstreamModelConfig;
import io.fairlane.gateway.http.Exchange;
import io.fairlane.gateway.http.PreparationPool;
import io.fairlane.gateway.lane.Backend;
import io.fairlane.gateway.lane.RateLimitHeaders;
import io.fairlane.gateway.lane.Rejections;
import io.fairlane.gateway.lane.RequestContext;
import io.fairlane.gateway.metrics.GatewayMetrics;
import io.fairlane.gateway.metrics.LaneMetrics;
import io.fairlane.gateway.openai.ChatCompletionRequest;
import io.fairlane.gateway.openai.CompletionRequest;
import io.fairlane.gateway.openai.EmbeddingsRequest;
import io.fairlane.gateway.openai.ModerationRequest;
import io.fairlane.scheduler.Admission;
import io.fairlane.scheduler.ConcurrencyCapacity;
import io.fairlane.scheduler.CostEstimate;
import io.fairlane.scheduler.CostWeights;
import io.fairlane.scheduler.LaneDispatcher;
import io.fairlane.scheduler.PrefixMatcher;
import io.fairlane.scheduler.TenantScheduler;
import io.fairlane.scheduler.TenantSchedulers;
import io.fairlane.scheduler.Ticker;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.concurrent.ScheduledExecutorService;

/**
 * A lane served by upstream OpenAI-compatible servers. Requests wait in the lane's tenant scheduler until
 * one of {@code max_concurrency} slots (and, if configured, the token rate) has room; then an
 * {@link UpstreamCall} forwards the client's JSON ({@link ForwardedBody}: only {@code model} renamed, and usage
 * asked for on streams, to meter tokens), relays the answer with backpressure and repairs it on the way.
 *
 * <p>Thread-safe: the dispatcher is; each call is confined to its client's event loop.
 */
public final class UpstreamBackend implements Backend {

    private final UpstreamModelConfig config;
    private final UpstreamClient client;
    private final GatewayMetrics metrics;
    private final LaneMetrics laneMetrics;
    private final LaneDispatcher<UpstreamCall> dispatcher;
    private final PreparationPool pool;

    public UpstreamBackend(UpstreamModelConfig config, List<TenantConfig> tenants, UpstreamClient client,
                           GatewayMetrics metrics, ScheduledExecutorService timer, PreparationPool pool) {
        this.config = Objects.requireNonNull(config, "config");
        this.pool = Objects.requireNonNull(pool, "pool");
        this.client = Objects.requireNonNull(client, "client");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.laneMetrics = metrics.lane(config.id());
        TenantScheduler<UpstreamCall> scheduler = TenantSchedulers.create(config.policy(),
                tenants.stream().map(TenantConfig::toSpec).toList(), CostWeights.DEFAULT, PrefixMatcher.none(),
                Ticker.system(), laneMetrics);
        ConcurrencyCapacity<UpstreamCall> capacity = config.tokensPerSecond() > 0
                ? ConcurrencyCapacity.of(config.maxConcurrency(), config.tokensPerSecond(),
                        Math.max(config.tokensPerSecond(), 1), Ticker.system())
                : ConcurrencyCapacity.of(config.maxConcurrency());
        this.dispatcher = new LaneDispatcher<>(scheduler, capacity, t -> t.work().dispatched(t), timer,
                Duration.ofMillis(20));
        laneMetrics.bindScheduler(scheduler::snapshot);
        // Every target's health and latency series exist from the start, not from its first request.
        config.targets().forEach(t -> metrics.upstream(t.label()));
    }

    public UpstreamModelConfig config() {
        return config;
    }

    UpstreamClient client() {
        return client;
    }

    GatewayMetrics metrics() {
        return metrics;
    }

    LaneDispatcher<UpstreamCall> dispatcher() {
        return dispatcher;
    }

    @Override
    public String kind() {
        return "upstream";
    }

    @Override
    public void chat(Exchange exchange, ChatCompletionRequest request, RequestContext context) throws Exception {
        // The body's size is a cheap, slightly high estimate of the prompt: JSON punctuation counts too.
        int prompt = estimateTokens(exchange.body().readableBytes());
        int maxOut = request.sampling().maxTokens().orElse(config.defaultMaxTokens()) * request.n();
        submit(exchange, context, UpstreamCall.Kind.CHAT, request.raw(), request.stream(), request.includeUsage(),
                new CostEstimate(prompt, 0, maxOut));
    }

    @Override
    public void completions(Exchange exchange, CompletionRequest request, RequestContext context) throws Exception {
        int maxOut = request.sampling().maxTokens().orElse(CompletionRequest.DEFAULT_MAX_TOKENS) * request.n()
                * Math.max(1, request.prompts().size());
        submit(exchange, context, UpstreamCall.Kind.COMPLETIONS, request.raw(), request.stream(),
                request.includeUsage(), new CostEstimate(estimateTokens(request.prompts()), 0, maxOut));
    }

    @Override
    public void embeddings(Exchange exchange, EmbeddingsRequest request, RequestContext context) throws Exception {
        submit(exchange, context, UpstreamCall.Kind.EMBEDDINGS, request.raw(), false, false,
                new CostEstimate(estimateTokens(request.inputs()), 0, 0));
    }

    @Override
    public boolean speaksResponses() {
        return config.responsesApi();
    }

    @Override
    public void responses(Exchange exchange, ObjectNode body, boolean asSent, boolean stream,
                          OptionalInt maxOutputTokens, RequestContext context) throws Exception {
        int prompt = estimateTokens(exchange.body().readableBytes());
        ForwardedBody forwarded = new ForwardedBody(exchange, body, UpstreamCall.Kind.RESPONSES.path, stream);
        if (!asSent) {
            forwarded.rewritten();
        }
        submit(exchange, context, UpstreamCall.Kind.RESPONSES, forwarded, stream, false,
                new CostEstimate(prompt, 0, maxOutputTokens.orElse(config.defaultMaxTokens())));
    }

    @Override
    public void moderations(Exchange exchange, ModerationRequest request, RequestContext context) throws Exception {
        submit(exchange, context, UpstreamCall.Kind.MODERATIONS, request.raw(), false, false,
                new CostEstimate(estimateTokens(request.inputChars()), 0, 0));
    }

    /** About four characters per token: what OpenAI's own guidance uses for English text. */
    static int estimateTokens(int chars) {
        return (chars + 3) / 4;
    }

    /** The prompt tokens of text or token-id prompts, estimated. */
    static int estimateTokens(List<Prompt> prompts) {
        int tokens = 0;
        for (Prompt p : prompts) {
            tokens += switch (p) {
                case Prompt.Text t -> estimateTokens(t.text().length());
                case Prompt.TokenIds ids -> ids.ids().length;
                case Prompt.Chat c -> 0;
            };
        }
        return tokens;
    }

    /** Prepares the forwarded body (off the loop when large), then queues the call in the tenant scheduler. */
    private void submit(Exchange exchange, RequestContext context, UpstreamCall.Kind kind, ObjectNode raw,
                        boolean stream, boolean includeUsage, CostEstimate estimate) throws Exception {
        submit(exchange, context, kind, new ForwardedBody(exchange, raw, kind.path, stream), stream, includeUsage,
                estimate);
    }

    private void submit(Exchange exchange, RequestContext context, UpstreamCall.Kind kind, ForwardedBody body,
                        boolean stream, boolean includeUsage, CostEstimate estimate) throws Exception {
        UpstreamCall call = new UpstreamCall(this, exchange, context, kind, body, stream, includeUsage);
        body.prepare(pool, config, () -> {
            Admission<UpstreamCall> admission = dispatcher.submit(context.tenant().id(), call, estimate,
                    context.tier());
            RateLimitHeaders.apply(exchange.responseHeaders(), admission.rateLimit());
            switch (admission) {
                case Admission.Rejected<UpstreamCall> r -> throw Rejections.exception(r, estimate);
                case Admission.Queued<UpstreamCall> q -> call.queued(q.ticket());
            }
        });
    }

    @Override
    public void updateTenants(List<TenantConfig> tenants) {
        dispatcher.scheduler().updateTenants(tenants.stream().map(TenantConfig::toSpec).toList());
    }

    @Override
    public void close() {
        laneMetrics.close();
    }

    @Override
    public String toString() {
        return "UpstreamBackend[" + config.id() + ", " + config.targets().size() + " targets]";
    }
}
