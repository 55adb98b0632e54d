/**
 * A discrete-event simulator of one serving engine shared by tenants, on virtual time, for comparing
 * scheduling policies: FCFS, DRR, VTC and DLPM run through the real {@link io.fairlane.scheduler.TenantScheduler}.
 *
 * <p>The engine is an iteration-level (continuous batching) model: each step admits the scheduler's
 * choices while the batch's token memory and the step's prefill budget allow, then takes
 * {@code α + β·prefill tokens + δ·batch size} seconds and produces one token for every running request.
 * A prefix cache of whole shared prefixes (LRU by tokens) gives DLPM something to be local about.
 * {@link io.fairlane.scheduler.sim.SimulatorMain} replays the scenarios of the VTC and DLPM papers and
 * writes tables and charts to {@code docs/scheduler/}. It lives in test scope so no runtime classpath
 * carries the charting library.
 */
package io.fairlane.scheduler.sim;
