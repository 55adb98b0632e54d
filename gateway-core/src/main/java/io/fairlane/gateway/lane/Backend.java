package io.fairlane.gateway.lane;

import io.fairlane.gateway.config.TenantConfig;
import io.fairlane.gateway.http.Exchange;
import io.fairlane.gateway.openai.ChatCompletionRequest;
import io.fairlane.gateway.openai.CompletionRequest;
import io.fairlane.gateway.openai.EmbeddingsRequest;
import java.util.List;

/**
 * What serves a lane's requests: Fairlane's own engine or upstream servers. Every request goes through
 * the lane's tenant scheduler: the engine's waiting queue is one; an upstream lane runs one in front of
 * its concurrent-request slots.
 *
 * <p>Methods are called on the exchange's event loop and must not block; the backend answers through the
 * exchange, from that loop, whenever the answer is ready.
 */
public sealed interface Backend extends AutoCloseable permits LocalEngineBackend, UpstreamBackend {

    void chat(Exchange exchange, ChatCompletionRequest request, RequestContext context);

    void completions(Exchange exchange, CompletionRequest request, RequestContext context);

    void embeddings(Exchange exchange, EmbeddingsRequest request, RequestContext context);

    /** Applies a reloaded tenant set to the lane's scheduler. */
    void updateTenants(List<TenantConfig> tenants);

    /** {@code local} or {@code upstream}, for logs. */
    String kind();

    @Override
    void close();
}
