/**
 * Lanes: a model id and the pool of capacity behind it. {@link io.fairlane.gateway.lane.Lanes} is the routing
 * table (model id → {@link io.fairlane.gateway.lane.Lane}), a {@link io.fairlane.gateway.lane.Backend} serves a
 * lane's requests, and {@link io.fairlane.gateway.lane.RequestContext} carries who asks and in which tier.
 *
 * <p>This package is also where scheduler answers become HTTP: {@link io.fairlane.gateway.lane.Rejections}
 * turns a tenant scheduler's refusal into OpenAI's 429 (or 400/503) and
 * {@link io.fairlane.gateway.lane.RateLimitHeaders} writes the {@code x-ratelimit-*} headers, so the HTTP layer
 * never sees a scheduler or engine type. The backends live in {@code lane.local} (Fairlane's own engine) and
 * {@code lane.upstream} (OpenAI-compatible servers).
 */
package io.fairlane.gateway.lane;
