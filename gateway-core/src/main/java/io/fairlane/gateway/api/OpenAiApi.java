package io.fairlane.gateway.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.gateway.cluster.SignedTenant;
import io.fairlane.gateway.config.TenantConfig;
import io.fairlane.gateway.http.Exchange;
import io.fairlane.gateway.http.HttpHandler;
import io.fairlane.gateway.http.InProcessRequests;
import io.fairlane.gateway.http.Json;
import io.fairlane.gateway.http.PreparationPool;
import io.fairlane.gateway.lane.Lane;
import io.fairlane.gateway.lane.Lanes;
import io.fairlane.gateway.lane.RequestContext;
import io.fairlane.gateway.metrics.GatewayMetrics;
import io.fairlane.gateway.metrics.RequestMeters;
import io.fairlane.gateway.openai.Bodies;
import io.fairlane.gateway.openai.ChatCompletionRequest;
import io.fairlane.gateway.openai.CompletionRequest;
import io.fairlane.gateway.openai.EmbeddingsRequest;
import io.fairlane.gateway.openai.ModerationRequest;
import io.fairlane.gateway.http.ApiError;
import io.fairlane.gateway.http.ApiException;
import io.fairlane.gateway.openai.ServiceTiers;
import io.fairlane.scheduler.ServiceTier;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The {@code /v1} endpoints: parse and validate the body (in the {@link PreparationPool} when it is large),
 * resolve the model to its lane and the service tier for the tenant, count the request in flight, hand it to the
 * lane's backend. Runs after the authentication decorator, so a tenant is always present.
 */
public final class OpenAiApi {

    private final Supplier<Lanes> lanes;
    private final GatewayMetrics metrics;
    private final PreparationPool pool;
    private final SignedTenant signed;
    private final Function<String, Optional<TenantConfig>> tenants;

    public OpenAiApi(Supplier<Lanes> lanes, GatewayMetrics metrics, PreparationPool pool) {
        this(lanes, metrics, pool, null, id -> Optional.empty());
    }

    /**
     * @param signed  verifies the tenant a router signed (this process is an engine replica with the internal key);
     *                null: such headers are ignored
     * @param tenants the configured tenants by id, for a signed tenant
     */
    public OpenAiApi(Supplier<Lanes> lanes, GatewayMetrics metrics, PreparationPool pool, SignedTenant signed,
                     Function<String, Optional<TenantConfig>> tenants) {
        this.signed = signed;
        this.tenants = Objects.requireNonNull(tenants, "tenants");
        this.lanes = Objects.requireNonNull(lanes, "lanes");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.pool = Objects.requireNonNull(pool, "pool");
    }

    public HttpHandler chatCompletions() {
        return exchange -> {
            exchange.log().endpoint = "chat";
            pool.parse(exchange, body -> ChatCompletionRequest.parse(Bodies.parse(body)), request -> {
                exchange.log().stream = request.stream();
                Lane lane = lanes.get().resolve(request.model());
                lane.backend().chat(exchange, request, context(exchange, lane, request.serviceTier()));
            });
        };
    }

    public HttpHandler completions() {
        return exchange -> {
            exchange.log().endpoint = "completions";
            pool.parse(exchange, body -> CompletionRequest.parse(Bodies.parse(body)), request -> {
                exchange.log().stream = request.stream();
                Lane lane = lanes.get().resolve(request.model());
                lane.backend().completions(exchange, request, context(exchange, lane, request.serviceTier()));
            });
        };
    }

    public HttpHandler embeddings() {
        return exchange -> {
            exchange.log().endpoint = "embeddings";
            pool.parse(exchange, body -> EmbeddingsRequest.parse(Bodies.parse(body)), request -> {
                Lane lane = lanes.get().resolve(request.model());
                lane.backend().embeddings(exchange, request, context(exchange, lane, null));
            });
        };
    }

    /**
     * {@code POST /v1/moderations}: forwarded to the upstream model it names (or {@code omni-moderation-latest}).
     * Without such a model in the configuration it is a 404 saying what to configure.
     */
    public HttpHandler moderations() {
        return exchange -> {
            exchange.log().endpoint = "moderations";
            pool.parse(exchange, body -> ModerationRequest.parse(Bodies.parse(body)), request -> {
                Lane lane = lanes.get().find(request.model()).orElseThrow(() -> new ApiException(new ApiError(404,
                        "The model `" + request.model() + "` does not exist or you do not have access to it. "
                                + "/v1/moderations is forwarded to an upstream: configure a model with id `"
                                + request.model() + "` under `models` with an `upstream` (an OpenAI-compatible "
                                + "server that serves moderations).", "invalid_request_error", "model",
                        "model_not_found")));
                lane.backend().moderations(exchange, request, context(exchange, lane, null));
            });
        };
    }

    /**
     * Resolves the tier {@code requestedTier} for the exchange's tenant and counts the request in flight on
     * {@code lane}: what every generation endpoint does once its model is resolved.
     */
    public RequestContext context(Exchange exchange, Lane lane, String requestedTier) {
        int[] ids = null;
        if (signed != null) {
            // A router's request runs as the tenant it signed for, with the prompt's token ids it computed; anything
            // that does not verify stays the caller's and is tokenised here.
            ids = signed.apply(exchange, lane.id(), tenants).map(v -> SignedTenant.tokenIds(v, lane)).orElse(null);
        }
        TenantConfig tenant = exchange.tenant();
        // In-process work (batch lines) is scheduled in the tier its runner chose, whatever the line's body says.
        ServiceTier tier = ServiceTiers.resolve(InProcessRequests.serviceTierOf(exchange).orElse(requestedTier), tenant);
        exchange.log().serviceTier = ServiceTiers.wire(tier);
        RequestMeters meters = metrics.started(exchange, lane.id());
        return new RequestContext(tenant, tier, meters, ids);
    }

    /** {@code GET /v1/models}. */
    public HttpHandler listModels() {
        return exchange -> {
            exchange.log().endpoint = "models";
            ObjectNode body = Json.MAPPER.createObjectNode();
            body.put("object", "list");
            ArrayNode data = body.putArray("data");
            for (Lane lane : lanes.get().all()) {
                data.add(model(lane));
            }
            exchange.respond(HttpResponseStatus.OK, Json.write(exchange.alloc(), body));
        };
    }

    /** {@code GET /v1/models/{id}}; ids may contain slashes and arrive percent-encoded. */
    public HttpHandler getModel(String prefix) {
        return exchange -> {
            exchange.log().endpoint = "models";
            String id = QueryStringDecoder.decodeComponent(exchange.path().substring(prefix.length()),
                    StandardCharsets.UTF_8);
            Lane lane = lanes.get().resolve(id);
            exchange.respond(HttpResponseStatus.OK, Json.write(exchange.alloc(), model(lane)));
        };
    }

    private static ObjectNode model(Lane lane) {
        ObjectNode m = Json.MAPPER.createObjectNode();
        m.put("id", lane.id());
        m.put("object", "model");
        m.put("created", lane.created());
        m.put("owned_by", lane.config().ownedBy());
        return m;
    }
}
