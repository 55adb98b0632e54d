/**
 * Micrometer binding of Fairlane's meters: the meter enum ({@link io.fairlane.gateway.metrics.FairlaneMeter}),
 * per-request recording ({@link io.fairlane.gateway.metrics.GatewayMetrics}), upstream target meters and the
 * scheduler/engine statistics of each lane ({@link io.fairlane.gateway.metrics.LaneMetrics}). Lower modules
 * expose plain stats interfaces and snapshots; only this package knows Micrometer.
 */
package io.fairlane.gateway.metrics;
