package io.fairlane.gateway.lane;

import io.fairlane.gateway.config.TenantConfig;
import io.fairlane.gateway.http.Exchange;
import io.fairlane.gateway.openai.ChatCompletionRequest;
import io.fairlane.gateway.openai.CompletionRequest;
import io.fairlane.gateway.openai.EmbeddingsRequest;
import io.fairlane.gateway.openai.ModerationRequest;
import io.fairlane.gateway.http.ApiException;
import java.util.List;

/**
 * What serves a lane's requests: Fairlane's own engine or upstream servers. Every request goes through
 * the lane's tenant scheduler: the engine's waiting queue is one; an upstream lane runs one in front of
 * its concurrent-request slots.
 *
 * <p>Methods are called on the exchange's event loop and must not block; the backend answers through the
 * exchange, from that loop, whenever the answer is ready.
 *
 * <p>The two implementations, {@code lane.local.LocalEngineBackend} and {@code lane.upstream.UpstreamBackend},
 * live in their own packages, so this interface cannot be sealed: outside a named module the Java language
 * allows a sealed type's subclasses only in its own package. The set is closed by convention; only
 * {@code Gateway} creates backends.
 */
public interface Backend extends AutoCloseable {

    void chat(Exchange exchange, ChatCompletionRequest request, RequestContext context) throws Exception;

    void completions(Exchange exchange, CompletionRequest request, RequestContext context) throws Exception;

    void embeddings(Exchange exchange, EmbeddingsRequest request, RequestContext context) throws Exception;

    /**
     * {@code /v1/moderations}: only upstream lanes forward it; a local model has no moderation head, so by default a
     * lane answers that this model cannot serve it.
     */
    default void moderations(Exchange exchange, ModerationRequest request, RequestContext context) throws Exception {
        throw new ApiException(new io.fairlane.gateway.http.ApiError(404, "The model `" + request.model() + "` is a "
                + "local model and cannot serve /v1/moderations; moderations are forwarded to an upstream model "
                + "configured under `models` with that id.", "invalid_request_error", "model", "model_not_found"));
    }

    /** Applies a reloaded tenant set to the lane's scheduler. */
    void updateTenants(List<TenantConfig> tenants);

    /** {@code local} or {@code upstream}, for logs. */
    String kind();

    @Override
    void close();
}
