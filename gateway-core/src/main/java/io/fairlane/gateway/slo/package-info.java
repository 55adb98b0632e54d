/**
 * Per-tenant service level objectives and their error-budget burn rates.
 *
 * <p>A tenant's config names its SLOs ({@link io.fairlane.gateway.slo.SloSpec}, e.g.
 * {@code ttft <= 500ms for 99%}). The request path reports each finished request once, as a
 * {@link io.fairlane.gateway.slo.RequestOutcome}, to the {@link io.fairlane.gateway.slo.SloTracker}, which
 * classifies it as good or bad for each of the tenant's SLOs, counts it ({@code fairlane.slo.events}) and
 * keeps a ring of time buckets per SLO from which it reads the burn rate over 5 m, 30 m, 1 h and 6 h
 * ({@code fairlane.slo.burn.rate}).
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
