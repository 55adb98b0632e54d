package io.fairlane.gateway.lane;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.gateway.config.TenantConfig;
import io.fairlane.gateway.http.Exchange;
import io.fairlane.gateway.openai.ChatCompletionRequest;
import io.fairlane.gateway.openai.CompletionRequest;
import io.fairlane.gateway.openai.EmbeddingsRequest;
import io.fairlane.gateway.openai.ModerationRequest;
import io.fairlane.gateway.http.ApiException;
import java.util.List;
import java.util.OptionalInt;

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
     * Whether this lane's server speaks OpenAI's Responses API itself, so that {@code /v1/responses} requests go to
     * {@link #responses} as they came; otherwise they are served by {@link #chat}, translated.
     */
    default boolean speaksResponses() {
        return false;
    }

    /**
     * A {@code /v1/responses} request for a server that speaks the Responses API ({@link #speaksResponses}).
     *
     * @param body            the request to forward (the client's, its {@code previous_response_id} resolved)
     * @param asSent          whether {@code body} is what the client sent, so that its bytes can go as they came
     * @param maxOutputTokens the request's output limit, for the cost estimate
     */
    default void responses(Exchange exchange, ObjectNode body, boolean asSent, boolean stream,
                           OptionalInt maxOutputTokens, RequestContext context) throws Exception {
        throw new UnsupportedOperationException(kind() + " lanes do not forward Responses requests");
    }

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
