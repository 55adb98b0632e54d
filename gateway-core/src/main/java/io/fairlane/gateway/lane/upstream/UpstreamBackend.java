package io.fairlane.gateway.lane.upstream;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.engine.Prompt;
import io.fairlane.gateway.cluster.EngineReplicas;
import io.fairlane.gateway.config.TenantConfig;
import io.fairlane.gateway.config.UpstreamModelConfig;
import io.fairlane.gateway.http.ApiException;
import io.fairlane.gateway.http.Exchange;
import io.fairlane.gateway.http.PreparationPool;
import io.fairlane.gateway.lane.Backend;
import io.fairlane.gateway.lane.RateLimitHeaders;
import io.fairlane.gateway.lane.Rejections;
import io.fairlane.gateway.lane.RequestContext;
import io.fairlane.gateway.lane.local.RouterPrompts;
import io.fairlane.gateway.lane.routing.ModelRouter;
import io.fairlane.gateway.lane.routing.TargetState;
import io.fairlane.gateway.metrics.GatewayMetrics;
import io.fairlane.gateway.metrics.LaneMetrics;
import io.fairlane.gateway.metrics.RoutingMeters;
import io.fairlane.gateway.metrics.UpstreamMeters;
import io.fairlane.gateway.openai.ChatCompletionRequest;
import io.fairlane.gateway.openai.CompletionRequest;
import io.fairlane.gateway.openai.EmbeddingsRequest;
import io.fairlane.gateway.openai.ModerationRequest;
import io.fairlane.scheduler.Admission;
import io.fairlane.scheduler.ConcurrencyCapacity;
import io.fairlane.scheduler.CostEstimate;
import io.fairlane.scheduler.CostWeights;
import io.fairlane.scheduler.LaneDispatcher;
import io.fairlane.scheduler.Placement;
import io.fairlane.scheduler.PrefixMatcher;
import io.fairlane.scheduler.TenantScheduler;
import io.fairlane.scheduler.TenantSchedulers;
import io.fairlane.scheduler.Ticker;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A lane served by upstream OpenAI-compatible servers. Requests wait in the lane's tenant scheduler until the lane
 * has one of its {@code max_concurrency} slots (and, if configured, the token rate) free and its {@link ModelRouter}
 * has a target for them; then an {@link UpstreamCall} forwards the client's JSON ({@link ForwardedBody}: only
 * {@code model} renamed, and usage asked for on streams, to meter tokens), relays the answer with backpressure,
 * repairs it on the way, and fails over or retries as the model's routing manifest says. A sample of the requests
 * may be mirrored to a shadow target ({@link ShadowMirror}).
 *
 * <p>A reload that changes the model builds a new backend from the old one: targets whose endpoint is unchanged
 * keep their routing state (breaker, in-flight count), so a reload neither forgets an ejection nor lets a target
 * take more than its slots while old and new requests overlap.
 *
 * <p>Thread-safe: the dispatcher and the router are; each call is confined to its client's event loop.
 */
public final class UpstreamBackend implements Backend {

    private static final Logger LOG = LoggerFactory.getLogger(UpstreamBackend.class);
    private static final Duration DEFAULT_SLOW_CLIENT = Duration.ofSeconds(30);

    private final UpstreamModelConfig config;
    private final UpstreamClient client;
    private final GatewayMetrics metrics;
    private final LaneMetrics laneMetrics;
    private final RoutingMeters routingMeters;
    private volatile ModelRouter router;
    /** The engine replicas and their order for each request, when the model is served by engine replicas. */
    private final EngineReplicas replicas;
    private List<UpstreamModelConfig.Target> replicaTargets = List.of();
    private final ShadowMirror shadow;
    private final LaneDispatcher<UpstreamCall> dispatcher;
    private final PreparationPool pool;
    private final Duration slowClient;
    /** Each configured target's request-end meters, looked up once here rather than at every request's end. */
    /** Each current target's request-end meters, looked up once per target (replaced when replicas change). */
    private volatile Map<String, TargetMeters> targetMeters = Map.of();

    /** The meters a request's end records for the target that served it. */
    record TargetMeters(RoutingMeters.TargetMeters routing, UpstreamMeters upstream) {
    }

    public UpstreamBackend(UpstreamModelConfig config, List<TenantConfig> tenants, UpstreamClient client,
                           GatewayMetrics metrics, ScheduledExecutorService timer, PreparationPool pool) {
        this(config, tenants, client, metrics, timer, pool, DEFAULT_SLOW_CLIENT, null);
    }

    /**
     * @param slowClient how long a streaming client may leave its output unread before it is cut off
     * @param previous   the backend this one replaces after a reload, whose targets' routing state carries over;
     *                   null for a new model
     */
    public UpstreamBackend(UpstreamModelConfig config, List<TenantConfig> tenants, UpstreamClient client,
                           GatewayMetrics metrics, ScheduledExecutorService timer, PreparationPool pool,
                           Duration slowClient, UpstreamBackend previous) {
        this.config = Objects.requireNonNull(config, "config");
        this.pool = Objects.requireNonNull(pool, "pool");
        this.client = Objects.requireNonNull(client, "client");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.slowClient = Objects.requireNonNull(slowClient, "slowClient");
        this.laneMetrics = metrics.lane(config.id());
        this.routingMeters = metrics.routing();
        this.router = new ModelRouter(config.id(), config.routing(),
                previous == null ? Map.of() : previous.router.states(),
                previous == null ? List.of() : previous.config.targets(), new Events(config.id(), routingMeters),
                System::nanoTime, ThreadLocalRandom.current());
        this.shadow = new ShadowMirror(config, client, routingMeters, ThreadLocalRandom.current());
        TenantScheduler<UpstreamCall> scheduler = TenantSchedulers.create(config.policy(),
                tenants.stream().map(TenantConfig::toSpec).toList(), CostWeights.DEFAULT, PrefixMatcher.none(),
                Ticker.system(), laneMetrics);
        ConcurrencyCapacity<UpstreamCall> capacity = config.tokensPerSecond() > 0
                ? ConcurrencyCapacity.of(config.maxConcurrency(), config.tokensPerSecond(),
                        Math.max(config.tokensPerSecond(), 1), Ticker.system())
                : ConcurrencyCapacity.of(config.maxConcurrency());
        Placement<UpstreamCall> placement = new Placement<>() {
            @Override
            public boolean tryPlace(UpstreamCall call, CostEstimate estimate) {
                return call.tryPlace();
            }

            @Override
            public boolean changesWithTime() {
                return router.changesWithTime();
            }
        };
        this.dispatcher = new LaneDispatcher<>(scheduler, capacity, placement, t -> t.work().dispatched(t), timer,
                Duration.ofMillis(20));
        laneMetrics.bindScheduler(scheduler::snapshot);
        // Every target's series exist from the start, not from its first request.
        bindTargets(config.targets());
        this.replicaTargets = config.targets();
        this.replicas = config.engines().map(e -> new EngineReplicas(config.id(), e, this::replicasChanged))
                .orElse(null);
    }

    private double replicaHitRatio(String replica) {
        EngineReplicas r = replicas;
        return r == null ? 0 : r.cacheHitRatio(replica);
    }

    private void bindTargets(List<UpstreamModelConfig.Target> targets) {
        Map<String, TargetState> states = router.states();
        Map<String, TargetMeters> meters = new HashMap<>();
        for (UpstreamModelConfig.Target t : targets) {
            TargetState s = states.get(t.name());
            UpstreamMeters upstream = metrics.upstream(t.label());
            meters.put(t.name(), new TargetMeters(routingMeters.target(config.id(), t.name()), upstream));
            upstream.bindHealth(() -> serving(s));
            routingMeters.bindTarget(config.id(), t.name(), t.weight(), s::inFlight,
                    () -> s.ejectedFor(System.nanoTime()) > 0 ? 1 : 0);
        }
        this.targetMeters = Map.copyOf(meters);
    }

    /**
     * The engine replicas changed (discovery): a new router over them, in which a replica that stays keeps its
     * state (in-flight count, breaker); requests already placed finish on the router that placed them.
     */
    private synchronized void replicasChanged(List<UpstreamModelConfig.Target> targets) {
        ModelRouter old = router;
        router = new ModelRouter(config.id(), config.withReplicas(targets).routing(), old.states(), replicaTargets,
                new Events(config.id(), routingMeters), System::nanoTime, ThreadLocalRandom.current());
        replicaTargets = targets;
        bindTargets(targets);
        for (UpstreamModelConfig.Target t : targets) {
            routingMeters.bindReplica(config.id(), t.name(), () -> replicaHitRatio(t.name()));
        }
    }

    private static boolean serving(TargetState s) {
        return s.phase(System.nanoTime()) != TargetState.Phase.OPEN && !s.failingNotEjected();
    }

    public UpstreamModelConfig config() {
        return config;
    }

    /** The model's routing: live target state for the admin API and the explainer. */
    public ModelRouter router() {
        return router;
    }

    UpstreamClient client() {
        return client;
    }

    GatewayMetrics metrics() {
        return metrics;
    }

    RoutingMeters routingMeters() {
        return routingMeters;
    }

    /** The request-end meters of {@code target}. */
    TargetMeters meters(UpstreamModelConfig.Target target) {
        TargetMeters m = targetMeters.get(target.name());
        return m != null ? m
                : new TargetMeters(routingMeters.target(config.id(), target.name()), metrics.upstream(target.label()));
    }

    ShadowMirror shadow() {
        return shadow;
    }

    Duration slowClientTimeout() {
        return slowClient;
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
        long limit = request.sampling().maxTokens().orElse(0);
        int maxOut = request.sampling().maxTokens().orElse(config.defaultMaxTokens()) * request.n();
        Supplier<Prompt> tokenised = replicas != null && replicas.tokenizes()
                ? RouterPrompts.chat(request, config.id()) : null;
        submit(exchange, context, CallKind.CHAT, new ForwardedBody(exchange, request.raw(), CallKind.CHAT.path,
                request.stream()), request.stream(), request.includeUsage(), new CostEstimate(prompt, 0, maxOut),
                limit * request.n(), tokenised);
    }

    @Override
    public void completions(Exchange exchange, CompletionRequest request, RequestContext context) throws Exception {
        int choices = request.n() * Math.max(1, request.prompts().size());
        int maxOut = request.sampling().maxTokens().orElse(CompletionRequest.DEFAULT_MAX_TOKENS) * choices;
        long limit = (long) request.sampling().maxTokens().orElse(CompletionRequest.DEFAULT_MAX_TOKENS) * choices;
        Supplier<Prompt> tokenised = replicas != null && replicas.tokenizes()
                ? RouterPrompts.completion(request, config.id()) : null;
        submit(exchange, context, CallKind.COMPLETIONS, new ForwardedBody(exchange, request.raw(),
                CallKind.COMPLETIONS.path, request.stream()), request.stream(), request.includeUsage(),
                new CostEstimate(estimateTokens(request.prompts()), 0, maxOut), limit, tokenised);
    }

    @Override
    public void embeddings(Exchange exchange, EmbeddingsRequest request, RequestContext context) throws Exception {
        submit(exchange, context, CallKind.EMBEDDINGS, request.raw(), false, false,
                new CostEstimate(estimateTokens(request.inputs()), 0, 0), 0);
    }

    @Override
    public boolean speaksResponses() {
        return config.responsesApi();
    }

    @Override
    public void responses(Exchange exchange, ObjectNode body, boolean asSent, boolean stream,
                          OptionalInt maxOutputTokens, RequestContext context) throws Exception {
        int prompt = estimateTokens(exchange.body().readableBytes());
        ForwardedBody forwarded = new ForwardedBody(exchange, body, CallKind.RESPONSES.path, stream);
        if (!asSent) {
            forwarded.rewritten();
        }
        submit(exchange, context, CallKind.RESPONSES, forwarded, stream, false,
                new CostEstimate(prompt, 0, maxOutputTokens.orElse(config.defaultMaxTokens())),
                maxOutputTokens.orElse(0), null);
    }

    @Override
    public void moderations(Exchange exchange, ModerationRequest request, RequestContext context) throws Exception {
        submit(exchange, context, CallKind.MODERATIONS, request.raw(), false, false,
                new CostEstimate(estimateTokens(request.inputChars()), 0, 0), 0);
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

    /**
     * Prepares the forwarded body (off the loop when large), then queues the call in the tenant scheduler.
     *
     * @param outputLimit the output tokens the request allows in all (0: it sets no limit)
     */
    private void submit(Exchange exchange, RequestContext context, CallKind kind, ObjectNode raw,
                        boolean stream, boolean includeUsage, CostEstimate estimate, long outputLimit)
            throws Exception {
        submit(exchange, context, kind, new ForwardedBody(exchange, raw, kind.path, stream), stream, includeUsage,
                estimate, outputLimit, null);
    }

    /**
     * @param tokenised the prompt the router renders and tokenises for engine replicas (their tokenizer configured):
     *                  its ids key the ring and are signed for the replica; null: keyed by text, signed without ids
     */
    private void submit(Exchange exchange, RequestContext context, CallKind kind, ForwardedBody body,
                        boolean stream, boolean includeUsage, CostEstimate estimate, long outputLimit,
                        Supplier<Prompt> tokenised) throws Exception {
        long throttled = router.throttledFor();
        if (throttled > config.routing().retry().maxRetryAfter().toNanos()) {
            exchange.log().upstreamThrottled = true;
            throw new ApiException(UpstreamErrors.throttled(config.id(), throttled));
        }
        if (replicas != null) {
            Map<String, TargetState> states = router.states();
            TenantConfig tenant = context.tenant();
            body.routeWith(b -> {
                // A prompt the template or tokenizer refuses is the local lane's 400, here, before any replica.
                int[] ids = tokenised == null ? null : RouterPrompts.tokenIds(replicas.tokenizer(), tokenised);
                int[] signedIds = ids == null ? new int[0] : ids;
                String tokenizer = ids == null ? "" : replicas.tokenizer().fingerprint();
                b.routedBy(replicas.prefer(tenant, b.tree(), ids, name -> {
                    TargetState s = states.get(name);
                    return s == null ? 0 : s.inFlight();
                }), replicas.signer().<ForwardedBody.Signer>map(signed -> (headers, content) -> signed.sign(headers,
                        tenant.id(), config.id(), content, signedIds, tokenizer)).orElse(null));
            }, tokenised != null);
        }
        UpstreamCall call = new UpstreamCall(this, exchange, context, kind, body, stream, includeUsage,
                OutputBudget.of(config.routing().output(), outputLimit), estimate.promptTokens());
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
        if (replicas != null) {
            replicas.close();
        }
        laneMetrics.close();
    }

    @Override
    public String toString() {
        return "UpstreamBackend[" + config.id() + ", " + config.targets().size() + " targets]";
    }

    /** The router's reports, as meters and log lines. */
    private record Events(String model, RoutingMeters meters) implements ModelRouter.Listener {

        @Override
        public void spilled(String fromGroup, String toGroup, String reason) {
            meters.spill(model, fromGroup, toGroup, reason);
        }

        @Override
        public void breaker(UpstreamModelConfig.Target target, TargetState.Verdict verdict) {
            switch (verdict) {
                case TargetState.Verdict.Ejected e -> {
                    LOG.warn("model {}: target {} ejected for {} ms ({}; ejection {})", model, target.name(),
                            e.nanos() / 1_000_000, e.reason(), e.count());
                    meters.breaker(model, target.name(), "ejected");
                }
                case TargetState.Verdict.KeptAsLast k -> {
                    LOG.error("model {}: target {} is failing ({}) but it is the last usable target, so it stays in "
                            + "service: every request of the model now depends on it", model, target.name(),
                            k.reason());
                    meters.breaker(model, target.name(), "kept_as_last");
                }
                case TargetState.Verdict.Restored r -> {
                    LOG.info("model {}: target {} is back in service (probe succeeded)", model, target.name());
                    meters.breaker(model, target.name(), "restored");
                }
                case TargetState.Verdict.Unchanged u -> {
                }
            }
        }

        @Override
        public void routed(UpstreamModelConfig.Target target, String reason) {
            meters.routed(model, target.name(), reason);
        }

        @Override
        public void retry(boolean allowed) {
            meters.retry(model, allowed ? "allowed" : "budget_exhausted");
        }
    }
}
