package io.fairlane.gateway.batches;

import io.fairlane.gateway.http.InProcessRequests;

/**
 * Where batch lines run: one call per line, the body sent to its batch's endpoint as the batch's tenant, scheduled in
 * the batch's tier. The gateway's implementation is {@link InProcessRequests#send}, which runs the line through the
 * same router, lanes and tenant schedulers as interactive traffic, so every endpoint the router serves (the Responses
 * API included, once routed) runs in batches without code here. Tests substitute their own.
 */
@FunctionalInterface
public interface LineDispatcher {

    /** Starts one line; the call's answer completes on an event loop. */
    InProcessRequests.Call dispatch(String tenant, String tier, String endpoint, byte[] body);

    /** Lines through the gateway's own request path. */
    static LineDispatcher inProcess(InProcessRequests requests) {
        return (tenant, tier, endpoint, body) -> requests.send(tenant, tier, io.netty.handler.codec.http.HttpMethod.POST,
                endpoint, body);
    }
}
