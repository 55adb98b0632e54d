package io.fairlane.gateway;

import io.fairlane.engine.InferenceEngine;
import io.fairlane.gateway.admin.AdminAuthenticator;
import io.fairlane.gateway.admin.RoutingApi;
import io.fairlane.gateway.admin.UsageApi;
import io.fairlane.gateway.admin.UsageLedger;
import io.fairlane.gateway.api.AccessLog;
import io.fairlane.gateway.api.OpenAiApi;
import io.fairlane.gateway.api.Operations;
import io.fairlane.gateway.capture.CaptureRecorder;
import io.fairlane.gateway.capture.TrafficCapture;
import io.fairlane.gateway.cluster.EngineLoad;
import io.fairlane.gateway.cluster.SignedTenant;
import io.fairlane.gateway.cluster.TrustedTokenIds;
import io.fairlane.gateway.config.FairlaneConfig;
import io.fairlane.gateway.config.LocalModelConfig;
import io.fairlane.gateway.config.ModelConfig;
import io.fairlane.gateway.config.RoutingDiff;
import io.fairlane.gateway.config.TenantConfig;
import io.fairlane.gateway.config.UpstreamModelConfig;
import io.fairlane.gateway.http.HttpHandler;
import io.fairlane.gateway.http.HttpServer;
import io.fairlane.gateway.http.InProcessRequests;
import io.fairlane.gateway.http.PreparationPool;
import io.fairlane.gateway.http.Router;
import io.fairlane.gateway.http.ServerState;
import io.fairlane.gateway.http.Transport;
import io.fairlane.gateway.idempotency.IdempotencyKeys;
import io.fairlane.gateway.idempotency.IdempotencyStore;
import io.fairlane.gateway.idempotency.IdempotentRequests;
import io.fairlane.gateway.shared.RedisLink;
import io.fairlane.gateway.shared.SharedIdempotency;
import io.fairlane.gateway.shared.SharedRateLimiter;
import io.fairlane.gateway.shared.SharedRateLimits;
import io.fairlane.gateway.shared.SharedResponseStore;
import io.fairlane.gateway.lane.Backend;
import io.fairlane.gateway.lane.Lane;
import io.fairlane.gateway.lane.Lanes;
import io.fairlane.gateway.lane.local.LocalEngineBackend;
import io.fairlane.gateway.lane.routing.ModelRouter;
import io.fairlane.gateway.lane.upstream.UpstreamBackend;
import io.fairlane.gateway.lane.upstream.UpstreamClient;
import io.fairlane.gateway.metrics.BatchMeters;
import io.fairlane.gateway.metrics.GatewayMetrics;
import io.fairlane.gateway.metrics.LaneMetrics;
import io.fairlane.gateway.metrics.SloReporter;
import io.fairlane.gateway.metrics.SloTracker;
import io.fairlane.gateway.responses.DatabaseResponseStore;
import io.fairlane.gateway.responses.MemoryResponseStore;
import io.fairlane.gateway.responses.ResponseStore;
import io.fairlane.gateway.responses.ResponsesApi;
import io.fairlane.gateway.slo.SloSpec;
import io.fairlane.gateway.store.DurableState;
import io.fairlane.gateway.tenant.Authenticator;
import io.fairlane.gateway.tenant.TenantDirectory;
import io.fairlane.scheduler.Ticker;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.netty4.NettyAllocatorMetrics;
import io.micrometer.core.instrument.binder.netty4.NettyEventExecutorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.HttpMethod;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running gateway: builds lanes from the configuration, starts the HTTP server, applies reloads and
 * shuts down gracefully. The composition root: everything else receives what it needs from here.
 *
 * <p>{@link #reload} and {@link #shutdown} are synchronized; requests read the current tenant directory
 * and routing table through atomic references, so a reload never drops or half-applies a request.
 */
public final class Gateway implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);
    private static final String MODELS_PREFIX = "/v1/models/";

    private final EngineOpener engineOpener;
    private final Transport transport;
    private final EventLoopGroup workers;
    private final PrometheusMeterRegistry registry;
    private final JvmGcMetrics gcMetrics;
    private final GatewayMetrics metrics;
    private final SloTracker slos;
    private final UpstreamClient upstreamClient;
    private final PreparationPool preparation;
    private final IdempotencyKeys idempotency;
    /** Redis shared by replicas, or null when {@code shared_state} names none. */
    private final RedisLink redis;
    private final CaptureRecorder captureRecorder;
    private final DurableState durable;
    private final ResponseStore responseStore;
    private final FilesAndBatches filesAndBatches;
    private final BatchMeters batchMeters;
    private final ServerState state = new ServerState();
    private final AtomicReference<TenantDirectory> tenants = new AtomicReference<>();
    private final AtomicReference<Lanes> lanes = new AtomicReference<>(new Lanes(List.of()));
    private volatile FairlaneConfig config;
    private HttpServer server;
    private boolean closed;

    private Gateway(FairlaneConfig config, EngineOpener engineOpener) {
        this.config = config;
        this.engineOpener = engineOpener;
        this.transport = Transport.detect(config.server().transport());
        int loops = config.server().eventLoops() > 0 ? config.server().eventLoops()
                : Runtime.getRuntime().availableProcessors();
        this.workers = transport.newGroup(loops, "fairlane-io");
        this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry);
        this.gcMetrics = new JvmGcMetrics();
        gcMetrics.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new NettyEventExecutorMetrics(workers).bindTo(registry);
        if (ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider allocator) {
            new NettyAllocatorMetrics(allocator).bindTo(registry);
        }
        this.metrics = new GatewayMetrics(registry, GatewayMetrics.buckets(config.metrics(), config.tenants()));
        this.slos = new SloTracker(registry, Ticker.system());
        this.upstreamClient = new UpstreamClient(transport);
        int prepThreads = config.server().preparationThreads() > 0 ? config.server().preparationThreads()
                : PreparationPool.defaultThreads(Runtime.getRuntime().availableProcessors());
        this.preparation = new PreparationPool(prepThreads, config.server().preparationQueue());
        metrics.bindPreparation(preparation);
        IdempotencyStore localKeys = new IdempotencyStore(config.idempotency(), Ticker.system());
        this.redis = config.shared().enabled() ? RedisLink.open(config.shared(), Ticker.system(), registry) : null;
        if (redis == null) {
            RedisLink.registerIdle(registry);
        }
        this.idempotency = redis == null ? localKeys : new SharedIdempotency(redis, localKeys);
        this.captureRecorder = config.capture().file().map(CaptureRecorder::new).orElse(null);
        this.durable = DurableState.open(config.storage().settings(), config.storage().environment());
        ResponseStore ownResponses = config.storage().settings().isPresent()
                ? new DatabaseResponseStore(durable.database(), config.responses(), System::currentTimeMillis)
                : new MemoryResponseStore(config.responses(), System::currentTimeMillis);
        this.responseStore = redis == null ? ownResponses
                : new SharedResponseStore(redis, ownResponses, config.responses(), System::currentTimeMillis);
        this.batchMeters = new BatchMeters(registry, GatewayMetrics.buckets(config.metrics(), config.tenants()));
        batchMeters.register(config.tenants().stream().map(TenantConfig::id).toList());
        this.filesAndBatches = new FilesAndBatches(durable, () -> this.config, lanes::get, batchMeters);
    }

    /**
     * Opens the lanes (local engines load here, which may take a while), then binds the listener.
     *
     * @throws InterruptedException if interrupted while binding
     */
    public static Gateway start(FairlaneConfig config, EngineOpener engineOpener) throws InterruptedException {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(engineOpener, "engineOpener");
        Gateway g = new Gateway(config, engineOpener);
        try {
            g.tenants.set(new TenantDirectory(config.tenants()));
            g.slos.configure(sloMap(config.tenants()));
            g.lanes.set(new Lanes(g.openLanes(config, Map.of())));
            Router router = g.router();
            g.server = HttpServer.start(config.server(), g.transport, g.workers, router, g.state, g.decorators(),
                    g.metrics.connectionStats());
            g.metrics.bindConnections(g.server::openConnections);
            g.filesAndBatches.startRunner(new InProcessRequests(g.workers, () -> router, g.state, g.decorators()),
                    (int) Math.min(Integer.MAX_VALUE, config.server().maxBodyBytes()));
            g.state.setReady(true);
            return g;
        } catch (RuntimeException | InterruptedException e) {
            g.close();
            throw e;
        }
    }

    private Router router() {
        OpenAiApi api = new OpenAiApi(lanes::get, metrics, preparation, config.server().internalKey()
                .map(k -> new SignedTenant(new TrustedTokenIds(k.bytes()))).orElse(null), id -> tenants.get().byId(id));
        ResponsesApi responses = new ResponsesApi(lanes::get, api::context, preparation, responseStore,
                config.responses(), System::currentTimeMillis);
        Function<HttpHandler, HttpHandler> authenticated = authenticated();
        Function<HttpHandler, HttpHandler> idempotent = authenticated.compose(new IdempotentRequests(idempotency));
        // Inference requests also take from the budgets shared by replicas (when Redis is configured).
        Function<HttpHandler, HttpHandler> limited = redis == null ? idempotent
                : idempotent.compose(new SharedRateLimits(new SharedRateLimiter(redis, Ticker.system())));
        Router r = new Router()
                .route(HttpMethod.POST, "/v1/chat/completions", endpoint("chat", limited.apply(api.chatCompletions())))
                .route(HttpMethod.POST, "/v1/completions", endpoint("completions", limited.apply(api.completions())))
                .route(HttpMethod.POST, "/v1/embeddings", endpoint("embeddings", limited.apply(api.embeddings())))
                .route(HttpMethod.POST, "/v1/responses", endpoint("responses", limited.apply(responses.create())))
                .routePrefix(HttpMethod.GET, ResponsesApi.PREFIX, endpoint("responses",
                        authenticated.apply(responses.retrieve())))
                .routePrefix(HttpMethod.DELETE, ResponsesApi.PREFIX, endpoint("responses",
                        authenticated.apply(responses.delete())))
                .routePrefix(HttpMethod.POST, ResponsesApi.PREFIX, endpoint("responses",
                        authenticated.apply(responses.other())))
                .route(HttpMethod.GET, "/v1/models", endpoint("models", authenticated.apply(api.listModels())))
                .routePrefix(HttpMethod.GET, MODELS_PREFIX, endpoint("models",
                        authenticated.apply(api.getModel(MODELS_PREFIX))))
                .route(HttpMethod.POST, "/v1/moderations", endpoint("moderations", limited.apply(api.moderations())))
                .route(HttpMethod.GET, "/health/live", endpoint("health", Operations.live()))
                .route(HttpMethod.GET, "/health/ready", endpoint("health", Operations.ready(state)))
                .route(HttpMethod.GET, "/internal/load", endpoint("load", EngineLoad.handler(lanes::get)));
        filesAndBatches.routes(r, authenticated, idempotent, Gateway::endpoint);
        UsageApi usage = new UsageApi(new UsageLedger(registry, slos),
                () -> config.tenants().stream().map(TenantConfig::id).toList(), Clock.systemUTC());
        AdminAuthenticator admin = new AdminAuthenticator(() -> config.adminKeys(), tenants::get);
        r.route(HttpMethod.GET, "/admin/usage", endpoint("admin", admin.apply(usage.handler())));
        r.route(HttpMethod.GET, "/admin/routing", endpoint("admin",
                admin.apply(new RoutingApi(this::routers).handler())));
        if (config.metrics().enabled()) {
            r.route(HttpMethod.GET, config.metrics().path(), endpoint("metrics", Operations.metrics(registry)));
        }
        return r;
    }

    /**
     * Authentication, then (for tenants that opted in) traffic capture: what runs before every {@code /v1}
     * handler. Capture is outside idempotency, so that a replayed response is recorded as the client saw it.
     */
    private Function<HttpHandler, HttpHandler> authenticated() {
        Function<HttpHandler, HttpHandler> auth = new Authenticator(tenants);
        if (captureRecorder == null) {
            return auth;
        }
        return auth.compose(new TrafficCapture(captureRecorder, config.capture().maxBodyBytes()));
    }

    /** Names the endpoint (a metric tag) before anything can fail, authentication included. */
    private static HttpHandler endpoint(String name, HttpHandler next) {
        return exchange -> {
            exchange.log().endpoint = name;
            next.serve(exchange);
        };
    }

    private List<Function<HttpHandler, HttpHandler>> decorators() {
        return List.of(new AccessLog(), metrics.decorator(), new SloReporter(slos));
    }

    private static Map<String, List<SloSpec>> sloMap(List<TenantConfig> tenants) {
        Map<String, List<SloSpec>> m = new LinkedHashMap<>();
        for (TenantConfig t : tenants) {
            m.put(t.id(), t.slos());
        }
        return m;
    }

    /** Builds the lanes of {@code cfg}, keeping those of {@code current} whose model is unchanged. */
    private List<Lane> openLanes(FairlaneConfig cfg, Map<String, Lane> current) {
        List<Lane> out = new ArrayList<>();
        long now = System.currentTimeMillis() / 1000;
        for (ModelConfig m : cfg.models()) {
            Lane existing = current.get(m.id());
            if (existing != null && existing.config().equals(m)) {
                existing.backend().updateTenants(cfg.tenants());
                out.add(existing);
                continue;
            }
            if (existing != null && existing.backend() instanceof LocalEngineBackend) {
                LOG.warn("model {}: local engine settings changed; restart Fairlane to apply them", m.id());
                existing.backend().updateTenants(cfg.tenants());
                out.add(existing);
                continue;
            }
            Optional<Backend> backend = open(m, cfg, existing == null ? null : existing.backend());
            backend.ifPresent(b -> {
                out.add(new Lane(m, b, existing == null ? now : existing.created()));
                LOG.info("model {} served by {} backend", m.id(), b.kind());
            });
        }
        return out;
    }

    /** A backend for {@code m}; {@code previous} is the one it replaces after a reload (null for a new model). */
    private Optional<Backend> open(ModelConfig m, FairlaneConfig cfg, Backend previous) {
        return switch (m) {
            case UpstreamModelConfig u -> Optional.of(new UpstreamBackend(u, cfg.tenants(), upstreamClient, metrics,
                    workers.next(), preparation, cfg.server().slowClientTimeout(),
                    previous instanceof UpstreamBackend old ? old : null));
            case LocalModelConfig l -> {
                LaneMetrics laneMetrics = metrics.lane(l.id());
                try {
                    InferenceEngine engine = engineOpener.open(l, cfg.tenants().stream().map(TenantConfig::toSpec)
                            .toList(), laneMetrics);
                    yield Optional.of(new LocalEngineBackend(l, engine, cfg.server(), laneMetrics, preparation));
                } catch (UnsupportedOperationException e) {
                    LOG.warn("model {} is not served: the local engine is not available in this build ({})", l.id(),
                            e.getMessage());
                    laneMetrics.close();
                    yield Optional.empty();
                } catch (RuntimeException e) {
                    LOG.error("model {} is not served: its engine failed to open", l.id(), e);
                    laneMetrics.close();
                    yield Optional.empty();
                }
            }
        };
    }

    public int port() {
        return server.port();
    }

    /** The socket transport the event loops run ({@code io_uring}, {@code epoll} or {@code nio}). */
    public String transportName() {
        return transport.name();
    }

    public FairlaneConfig config() {
        return config;
    }

    public ServerState state() {
        return state;
    }

    /** The capture recorder, when {@code capture.file} is configured. */
    public Optional<CaptureRecorder> captureRecorder() {
        return Optional.ofNullable(captureRecorder);
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** The routers of the upstream models being served now, in configuration order. */
    public List<ModelRouter> routers() {
        List<ModelRouter> out = new ArrayList<>();
        for (Lane l : lanes.get().all()) {
            if (l.backend() instanceof UpstreamBackend u) {
                out.add(u.router());
            }
        }
        return out;
    }

    /** The router of upstream model {@code id}, if it is served. */
    public Optional<ModelRouter> router(String id) {
        return routers().stream().filter(r -> r.model().equals(id)).findFirst();
    }

    /** The model ids being served now. */
    public List<String> models() {
        return lanes.get().all().stream().map(Lane::id).toList();
    }

    /**
     * Applies a new configuration without dropping traffic: tenants, keys, SLOs and upstream lanes change
     * at once for new requests; requests in progress finish on what they started with. Server settings
     * and local engine settings need a restart (logged).
     */
    public synchronized void reload(FairlaneConfig next) {
        Objects.requireNonNull(next, "next");
        if (closed) {
            return;
        }
        FairlaneConfig previous = config;
        if (!previous.server().equals(next.server())) {
            LOG.warn("server settings changed; restart Fairlane to apply them");
        }
        if (!previous.metrics().equals(next.metrics())) {
            LOG.warn("metrics settings changed; restart Fairlane to apply them");
        }
        tenants.set(new TenantDirectory(next.tenants()));
        slos.configure(sloMap(next.tenants()));
        batchMeters.register(next.tenants().stream().map(TenantConfig::id).toList());
        List<Duration> inexact = metrics.missingBuckets(GatewayMetrics.buckets(previous.metrics(), next.tenants()));
        if (!inexact.isEmpty()) {
            LOG.warn("SLO thresholds {} are not latency-histogram buckets until a restart; SLO events and burn "
                    + "rates are exact, histogram quantiles near those thresholds are interpolated", inexact);
        }
        Map<String, Lane> current = new LinkedHashMap<>();
        for (Lane l : lanes.get().all()) {
            current.put(l.id(), l);
        }
        for (String change : RoutingDiff.between(previous.models(), next.models())) {
            LOG.info("routing change applied: {}", change);
        }
        List<Lane> opened = openLanes(next, current);
        lanes.set(new Lanes(opened));
        List<String> kept = opened.stream().map(Lane::id).toList();
        for (Lane old : current.values()) {
            boolean replaced = opened.stream().noneMatch(l -> l == old);
            if (replaced) {
                LOG.info("model {} {}", old.id(), kept.contains(old.id()) ? "reconfigured" : "removed");
                old.backend().close();
            }
        }
        if (!previous.idempotency().equals(next.idempotency()) || !previous.capture().equals(next.capture())) {
            LOG.warn("idempotency or capture settings changed; restart Fairlane to apply them (tenants' capture "
                    + "opt-in applies now)");
        }
        if (!previous.storage().equals(next.storage()) || !previous.shared().equals(next.shared())
                || !previous.responses().equals(next.responses())) {
            LOG.warn("storage, shared_state or responses settings changed; restart Fairlane to apply them");
        }
        config = new FairlaneConfig(previous.server(), next.tenants(), next.models(), previous.metrics(),
                previous.idempotency(), previous.capture(), next.adminKeys(), previous.storage(), next.files(),
                next.batches(), previous.responses(), previous.shared());
        LOG.info("configuration applied: {} tenants, models {}", next.tenants().size(),
                opened.stream().map(Lane::id).collect(Collectors.joining(", ")));
    }

    /**
     * Graceful shutdown: readiness goes false, the listener closes, keep-alive connections are told to
     * close, in-flight requests (streams included) get until {@code deadline} to finish; then everything
     * closes. Returns true when every request finished in time.
     */
    public synchronized boolean shutdown(Duration deadline) throws InterruptedException {
        if (closed) {
            return true;
        }
        filesAndBatches.stopRunner(); // batch lines in flight are put back, not drained
        state.beginDrain();
        if (server != null) {
            server.stopAccepting();
        }
        LOG.info("draining: {} requests in flight, waiting up to {} s", state.inFlight(), deadline.toSeconds());
        boolean idle = state.awaitIdle(deadline);
        if (!idle) {
            LOG.warn("shutdown deadline passed with {} requests in flight; closing them", state.inFlight());
        }
        close();
        return idle;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        filesAndBatches.stopRunner();
        state.setReady(false);
        state.beginDrain();
        if (server != null) {
            server.close();
        }
        preparation.close(); // before the engines close: no prompt is submitted to a closing engine
        for (Lane l : lanes.get().all()) {
            try {
                l.backend().close();
            } catch (RuntimeException e) {
                LOG.warn("closing model {} failed", l.id(), e);
            }
        }
        upstreamClient.close();
        filesAndBatches.close();
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        responseStore.close(); // after the loops: no response finishes (and is stored) any more
        durable.close(); // the one place the database closes, after every feature that writes to it
        if (captureRecorder != null) {
            captureRecorder.close();
        }
        if (redis != null) {
            redis.close();
        }
        metrics.close();
        gcMetrics.close();
        registry.close();
    }
}
