package io.fairlane.conformance.lanes;

import static java.util.Objects.requireNonNull;

import io.fairlane.engine.InferenceEngine;
import io.fairlane.gateway.EngineOpener;
import io.fairlane.gateway.Gateway;
import io.fairlane.gateway.config.ApiKeyHash;
import io.fairlane.gateway.config.ConfigLoader;
import io.fairlane.gateway.config.FairlaneConfig;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;

/**
 * A real Fairlane (the gateway's composition root, Netty server, lanes, engine) on 127.0.0.1 and an
 * ephemeral port, configured for the conformance kit: the tenants the harness needs to provoke 429s and
 * quota errors, one tenant whose traffic is captured to a file (record and replay), and whatever models the
 * lane serves.
 *
 * <p>Local models open the real engine ({@code Engines.open}, CPU backend); a model whose id ends in
 * {@value #FAULTY_SUFFIX} is served by the engine of the model named before the suffix, wrapped in
 * {@link MidStreamFaultEngine}, so that the local lane can show how a mid-stream failure reaches clients.
 */
final class FairlaneUnderTest implements AutoCloseable {

    static final String KEY = "sk-conformance";
    /** A tenant allowed two requests a minute: the third gets 429 with retry-after and x-ratelimit-*. */
    static final String LIMITED_KEY = "sk-conformance-limited";
    /** A tenant allowed one token a minute: any request is larger than its limit, so 429 insufficient_quota. */
    static final String NO_QUOTA_KEY = "sk-conformance-no-quota";
    /** The one tenant that opted in to traffic capture (record and replay); the others are never recorded. */
    static final String RECORDED_KEY = "sk-conformance-recorded";
    static final String RECORDED_TENANT = "recorded";
    static final String FAULTY_SUFFIX = "-faults";
    /** Synthetic models are materialised here once and reused by later runs. */
    static final Path CACHE_DIR = Path.of("target", "fairlane-cache").toAbsolutePath();
    /** Small, so that the harness's 413 probe stays cheap. */
    static final long MAX_BODY_BYTES = 1 << 20;

    private final Gateway gateway;

    private FairlaneUnderTest(String yaml) throws InterruptedException {
        FairlaneConfig config = new ConfigLoader(Map.of("HOME", CACHE_DIR.toString())).parse(yaml, "conformance lane");
        Map<String, InferenceEngine> opened = new java.util.HashMap<>();
        EngineOpener real = EngineOpener.engines();
        EngineOpener opener = (model, tenants, stats) -> {
            if (model.id().endsWith(FAULTY_SUFFIX)) {
                String healthy = model.id().substring(0, model.id().length() - FAULTY_SUFFIX.length());
                InferenceEngine engine = requireNonNull(opened.get(healthy),
                        "model " + healthy + " must be listed before " + model.id());
                return new MidStreamFaultEngine(engine);
            }
            InferenceEngine engine = real.open(model, tenants, stats);
            opened.put(model.id(), engine);
            return engine;
        };
        this.gateway = Gateway.start(config, opener);
    }

    /**
     * Starts Fairlane with the conformance tenants and {@code models}, the YAML list items of the
     * {@code models:} section (indented by two spaces); the {@value #RECORDED_TENANT} tenant's traffic is
     * captured to {@code captureFile}.
     */
    static FairlaneUnderTest start(String models, Path captureFile) throws InterruptedException {
        return new FairlaneUnderTest(config(models, captureFile));
    }

    static String config(String models, Path captureFile) {
        return """
                server:
                  host: 127.0.0.1
                  port: 0
                  event_loops: 2
                  cache_dir: %s
                  limits: {max_body_size: %d}
                  shutdown_deadline: 2s
                tenants:
                  - id: conformance
                    api_keys: ["%s"]
                    service_tiers: [default, priority, flex]
                  - id: %s
                    api_keys: ["%s"]
                    capture: true
                  - id: limited
                    api_keys: ["%s"]
                    rate_limits: {requests_per_minute: 2}
                  - id: no-quota
                    api_keys: ["%s"]
                    rate_limits: {tokens_per_minute: 1}
                models:
                %s
                metrics:
                  enabled: false
                capture: {file: "%s"}
                storage: {directory: "%s"}
                """.formatted(CACHE_DIR, MAX_BODY_BYTES, ApiKeyHash.of(KEY), RECORDED_TENANT,
                ApiKeyHash.of(RECORDED_KEY), ApiKeyHash.of(LIMITED_KEY), ApiKeyHash.of(NO_QUOTA_KEY),
                models.strip().indent(2).stripTrailing(), captureFile, stateDir());
    }

    /** A fresh directory for this Fairlane's durable state (files, batches): each lane has its own store. */
    private static Path stateDir() {
        try {
            return java.nio.file.Files.createTempDirectory("fairlane-conformance-state");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    URI baseUrl() {
        return URI.create("http://127.0.0.1:" + gateway.port() + "/v1");
    }

    /** Waits until every exchange captured so far is in the capture file. */
    void flushCapture() throws InterruptedException {
        gateway.captureRecorder().orElseThrow().flush();
    }

    @Override
    public void close() {
        gateway.close();
    }
}
