/**
 * Routing among an upstream model's targets, free of Netty and HTTP: the {@link io.fairlane.gateway.lane.routing.ModelRouter}
 * places each request (priority groups, weights, per-target concurrency, saturation spill, context windows), keeps
 * each target's breaker ({@link io.fairlane.gateway.lane.routing.TargetState}: consecutive failures and failure
 * ratio, ejection with a growing cool-down, half-open probes, throttling after {@code retry-after}), meters retries
 * against a budget ({@link io.fairlane.gateway.lane.routing.RetryBudget}) and describes its live state
 * ({@link io.fairlane.gateway.lane.routing.RoutingSnapshot}, {@link io.fairlane.gateway.lane.routing.RoutingExplainer}).
 * The upstream lane drives it; the admin API and {@code fairlane route} read it.
 */
package io.fairlane.gateway.lane.routing;
