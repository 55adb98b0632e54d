/**
 * Fair scheduling of work among tenants.
 *
 * <p>The public surface is {@link io.fairlane.scheduler.TenantScheduler} and the value types it takes
 * and returns. Policies ({@link io.fairlane.scheduler.Policy}) are records behind a sealed interface;
 * time comes from an injected {@link io.fairlane.scheduler.Ticker} so fairness tests run on virtual
 * time. This package depends on nothing outside the JDK: no I/O library, no metrics library. Callers
 * read statistics through {@link io.fairlane.scheduler.SchedulerStats} and bind them to whatever
 * metrics system they use.
 *
 * <p>{@link io.fairlane.scheduler.TenantSchedulers#create} builds the one implementation,
 * {@code FairScheduler} (package-private), whose class comment holds the implementation notes; each
 * policy contributes a {@code Discipline}. For upstream lanes, {@link io.fairlane.scheduler.ConcurrencyCapacity}
 * and {@link io.fairlane.scheduler.LaneDispatcher} are ready-made. Design and measurements:
 * {@code docs/scheduler.md}.
 */
package io.fairlane.scheduler;
