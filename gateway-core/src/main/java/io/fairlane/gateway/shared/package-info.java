/**
 * State that gateway replicas behind one load balancer must agree on, kept in Redis when the {@code shared_state}
 * section names a server: rate-limit reservations (requests and tokens per minute, taken atomically by a Lua script
 * against the server's clock), {@code Idempotency-Key} claims with the responses they replay, and the Responses API's
 * stored responses ({@link io.fairlane.gateway.shared.SharedResponseStore}). Without Redis every replica keeps all of
 * it in process, which is right for one replica.
 *
 * <p>A replica that loses Redis keeps serving: it decides locally, on buckets cut to the configured
 * {@code fallback_share} of each limit, raises {@code fairlane.shared.state.fallback} and logs the loss and the
 * recovery once each. It tries Redis again every {@code retry_interval}. Every Redis call is blocking (Jedis) and
 * runs on a virtual thread, never on an event loop.
 */
package io.fairlane.gateway.shared;
