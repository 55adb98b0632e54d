package io.fairlane.gateway.config;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The whole configuration, as read from {@code config/fairlane.yaml} and validated as one (see
 * {@link ConfigLoader}). Immutable: a reload builds a new one and swaps it in.
 *
 * @param server      listener, limits and timeouts
 * @param tenants     who may call, with their keys, shares, limits and SLOs
 * @param models      the model ids clients may use and what serves each
 * @param metrics     the Prometheus endpoint and histogram buckets
 * @param idempotency how {@code Idempotency-Key} requests are remembered
 * @param capture     where opted-in tenants' traffic is recorded
 * @param adminKeys   digests of the keys that may call the admin API ({@code /admin/...}); never a tenant's
 * @param storage     where durable state lives (files, batches, stored responses); read once at start
 * @param files       limits of {@code /v1/files}
 * @param batches     how {@code /v1/batches} runs
 * @param responses   the bounds of the stored responses of {@code /v1/responses}
 * @param shared      what gateway replicas share through Redis (rate limits, idempotency keys); read once at start
 */
public record FairlaneConfig(ServerConfig server, List<TenantConfig> tenants, List<ModelConfig> models,
                             MetricsConfig metrics, IdempotencyConfig idempotency, CaptureConfig capture,
                             List<ApiKeyHash> adminKeys, StoreConfig storage, FilesConfig files,
                             BatchesConfig batches, ResponsesConfig responses, SharedStateConfig shared) {

    public FairlaneConfig {
        Objects.requireNonNull(shared, "shared");
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(metrics, "metrics");
        Objects.requireNonNull(idempotency, "idempotency");
        Objects.requireNonNull(capture, "capture");
        Objects.requireNonNull(storage, "storage");
        Objects.requireNonNull(files, "files");
        Objects.requireNonNull(batches, "batches");
        Objects.requireNonNull(responses, "responses");
        tenants = List.copyOf(tenants);
        models = List.copyOf(models);
        adminKeys = List.copyOf(adminKeys);
    }

    /**
     * Without durable state (files and batches answer 503, stored responses are kept in memory) and with the default
     * limits of files, batches and stored responses.
     */
    public FairlaneConfig(ServerConfig server, List<TenantConfig> tenants, List<ModelConfig> models,
                          MetricsConfig metrics, IdempotencyConfig idempotency, CaptureConfig capture,
                          List<ApiKeyHash> adminKeys) {
        this(server, tenants, models, metrics, idempotency, capture, adminKeys, StoreConfig.NONE, FilesConfig.DEFAULT,
                BatchesConfig.DEFAULT, ResponsesConfig.DEFAULT, SharedStateConfig.NONE);
    }

    /** With nothing shared between replicas (the default for one replica). */
    public FairlaneConfig(ServerConfig server, List<TenantConfig> tenants, List<ModelConfig> models,
                          MetricsConfig metrics, IdempotencyConfig idempotency, CaptureConfig capture,
                          List<ApiKeyHash> adminKeys, StoreConfig storage, FilesConfig files, BatchesConfig batches,
                          ResponsesConfig responses) {
        this(server, tenants, models, metrics, idempotency, capture, adminKeys, storage, files, batches, responses,
                SharedStateConfig.NONE);
    }

    /** With the default idempotency settings, no capture and no admin keys (the admin API answers no one). */
    public FairlaneConfig(ServerConfig server, List<TenantConfig> tenants, List<ModelConfig> models,
                          MetricsConfig metrics) {
        this(server, tenants, models, metrics, IdempotencyConfig.DEFAULT, CaptureConfig.NONE, List.of());
    }

    /** With the default idempotency settings and no capture. */
    public FairlaneConfig(ServerConfig server, List<TenantConfig> tenants, List<ModelConfig> models,
                          MetricsConfig metrics, List<ApiKeyHash> adminKeys) {
        this(server, tenants, models, metrics, IdempotencyConfig.DEFAULT, CaptureConfig.NONE, adminKeys);
    }

    public Optional<ModelConfig> model(String id) {
        return models.stream().filter(m -> m.id().equals(id)).findFirst();
    }

    public Optional<TenantConfig> tenant(String id) {
        return tenants.stream().filter(t -> t.id().equals(id)).findFirst();
    }

    /** The same configuration sharing state as {@code newShared} says. */
    public FairlaneConfig withShared(SharedStateConfig newShared) {
        return new FairlaneConfig(server, tenants, models, metrics, idempotency, capture, adminKeys, storage, files,
                batches, responses, newShared);
    }

    /** The same configuration listening on another port ({@code --port}). */
    public FairlaneConfig withPort(int port) {
        return new FairlaneConfig(server.withPort(port), tenants, models, metrics, idempotency, capture, adminKeys,
                storage, files, batches, responses, shared);
    }

    /** The same configuration listening on another address ({@code --host}). */
    public FairlaneConfig withHost(String host) {
        return new FairlaneConfig(server.withHost(host), tenants, models, metrics, idempotency, capture, adminKeys,
                storage, files, batches, responses, shared);
    }
}
