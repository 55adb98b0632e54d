package io.fairlane.scheduler.sim;

import java.util.List;
import java.util.Map;

/**
 * What one scenario under one policy produced.
 *
 * @param policy            policy label
 * @param seconds           virtual time simulated
 * @param tokensPerSecond   input + output tokens of completed requests per second
 * @param requestsPerSecond completed requests per second
 * @param maxServiceDiff    the largest difference in weighted service two tenants received over an interval
 *                          in which both had queued work throughout (spread of their accumulated difference)
 * @param jain              mean Jain's index of weighted service over 10 s windows, among the tenants that had
 *                          queued work for at least 90% of a window's steps (windows with two or more such
 *                          tenants); NaN when no window qualified
 * @param cacheHitRate      cached / all input tokens of admitted requests
 * @param tenants           per-tenant results, in scenario order
 * @param sampleTimes       times of the service samples (seconds)
 * @param serviceDiff       max over tenant pairs of |accumulated difference| since both became backlogged,
 *                          at each sample
 * @param preemptions       running requests preempted for a tenant under its share (0 without preemption)
 * @param recomputedTokens  tokens prefilled again when preempted requests resumed
 */
record RunResult(String policy, double seconds, double tokensPerSecond, double requestsPerSecond,
                 double maxServiceDiff, double jain, double cacheHitRate, List<TenantResult> tenants,
                 double[] sampleTimes, double[] serviceDiff, long preemptions, long recomputedTokens) {

    /**
     * @param ttfts        sorted times to first token (seconds) of requests that got one
     * @param service      cumulative weighted service at each sample time
     * @param e2es         sorted arrival-to-last-token times (seconds) of completed requests
     */
    record TenantResult(String id, int offered, int rejected, int completed, double[] ttfts, double[] service,
                        double[] e2es) {

        double ttftPercentile(double p) {
            return percentile(ttfts, p);
        }

        double e2ePercentile(double p) {
            return percentile(e2es, p);
        }

        private static double percentile(double[] sorted, double p) {
            if (sorted.length == 0) {
                return Double.NaN;
            }
            int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
            return sorted[Math.clamp(i, 0, sorted.length - 1)];
        }
    }

    TenantResult tenant(String id) {
        return tenants.stream().filter(t -> t.id().equals(id)).findFirst().orElseThrow();
    }

    Map<String, TenantResult> byId() {
        return tenants.stream().collect(java.util.stream.Collectors.toMap(TenantResult::id, t -> t));
    }
}
