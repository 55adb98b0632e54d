/**
 * Per-tenant service level objectives: what they are and how their error budget burns. No metrics library and
 * no HTTP here, so the configuration can hold SLOs without depending on either.
 *
 * <p>A tenant's config names its SLOs ({@link io.fairlane.gateway.slo.SloSpec}, e.g.
 * {@code ttft <= 500ms for 99%}). The request path reports each finished request once, as a
 * {@link io.fairlane.gateway.slo.RequestOutcome}, which each SLO classifies as good, bad or not applicable. A
 * {@link io.fairlane.gateway.slo.BurnRateTracker} keeps a ring of time buckets per SLO from which it reads the
 * burn rate over 5 m, 30 m, 1 h and 6 h ({@link io.fairlane.gateway.slo.BurnWindow}), and
 * {@link io.fairlane.gateway.slo.SloStatus} is one SLO's state as the usage API shows it. The metrics package
 * binds all of this to Micrometer ({@code SloTracker}: {@code fairlane.slo.events},
 * {@code fairlane.slo.burn.rate}) and reports each request ({@code SloReporter}).
 *
 * <p>Burn rate follows the Google SRE Workbook (ch. 5, "Alerting on SLOs"): the share of bad events in a
 * window divided by the share the objective allows, {@code (bad / total) / (1 - objective)}. A burn rate of
 * 1 spends the error budget exactly over the SLO period; 14.4 spends 2% of a 30-day budget in one hour.
 * The in-process gauges serve dashboards and the usage API; alerting uses Prometheus rules computed from
 * the {@code fairlane.slo.events} counters (docker/prometheus/rules), which also cover the 3-day window.
 *
 * <p>Time comes from an injected {@link io.fairlane.scheduler.Ticker}, so tests run on virtual time.
 */
package io.fairlane.gateway.slo;
