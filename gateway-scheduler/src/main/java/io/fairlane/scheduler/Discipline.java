package io.fairlane.scheduler;

/**
 * The policy-specific half of a scheduler for one {@link ServiceClass}: which flow (and ticket) goes
 * next, and what a charge does to a flow's balance. {@link FairScheduler} owns queues, accounts, limits
 * and the lock, and tells the discipline when a flow becomes dispatchable ({@link #enter}), stops being
 * dispatchable ({@link #leave}: its queue emptied or its tenant reached its cap) or empties
 * ({@link #emptied}, always after {@code leave}).
 *
 * <p>All methods run under the scheduler's lock and cost O(log n) in the number of dispatchable flows,
 * except a longest-prefix-match scan, which is bounded by its waiting-request limit.
 */
sealed interface Discipline permits FcfsDiscipline, CounterDiscipline, DeficitDiscipline {

    /** {@code f} has queued work and may be dispatched; {@code returning} when its queue was empty. */
    void enter(TenantFlow f, boolean returning);

    /** {@code f} may no longer be dispatched. */
    void leave(TenantFlow f);

    /** {@code f}'s queue became empty; it has already left. */
    void emptied(TenantFlow f);

    /** The first ticket of a dispatchable {@code f} changed. */
    void headChanged(TenantFlow f);

    /**
     * The ticket this discipline would dispatch now, or null when no flow is dispatchable.
     *
     * @param waitingInClass tickets queued in this class, dispatchable or not
     */
    QueuedTicket<?> select(int waitingInClass);

    /**
     * Charges {@code amount} service units (negative: a refund) to {@code f}; {@code headChanged} says its
     * first ticket changed too, so that one re-keying covers both (the dispatch path).
     */
    void charge(TenantFlow f, double amount, boolean headChanged);

    /** The flow's balance as the policy sees it: deficit, counter, or 0. */
    double balance(TenantFlow f);

    /** Whether no flow is dispatchable. */
    boolean isEmpty();

    /**
     * Whether a dispatch charges the estimate's whole output ({@code maxOutputTokens}) up front, as DRR
     * does, instead of charging output token by token through progress reports, as VTC and DLPM do.
     */
    default boolean chargesOutputUpfront() {
        return false;
    }
}
