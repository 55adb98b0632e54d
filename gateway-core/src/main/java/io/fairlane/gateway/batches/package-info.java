/**
 * {@code /v1/batches}: JSONL files of requests executed by the gateway itself, through the same lanes and tenant
 * schedulers as interactive traffic, at the flex tier, and durably.
 *
 * <ul>
 *   <li>{@link io.fairlane.gateway.batches.BatchesApi}: the endpoints; {@link io.fairlane.gateway.batches.Batch}: the
 *       object; {@link io.fairlane.gateway.batches.BatchEndpoints}: what a batch may target and how its lines are
 *       checked.</li>
 *   <li>{@link io.fairlane.gateway.batches.BatchStore} and {@link io.fairlane.gateway.batches.BatchLines}: batches
 *       and their lines in durable state, a work queue with leases and exactly-once answers, on SQLite or shared
 *       PostgreSQL.</li>
 *   <li>{@link io.fairlane.gateway.batches.BatchRunner}: the loop that claims lines, dispatches them
 *       ({@link io.fairlane.gateway.batches.LineDispatcher}: in-process, through the router) and writes their
 *       answers in groups; {@code BatchJobs} does validation, expiry and finalization.</li>
 * </ul>
 */
package io.fairlane.gateway.batches;
