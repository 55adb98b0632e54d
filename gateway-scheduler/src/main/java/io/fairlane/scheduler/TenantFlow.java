package io.fairlane.scheduler;

/**
 * One tenant's queued work in one {@link ServiceClass}, with the balance its class's discipline keeps
 * for it. Guarded by the owning scheduler's lock.
 */
final class TenantFlow {

    final TenantAccount account;
    final ServiceClass serviceClass;

    /** Priority-tier tickets, served before {@link #normal} ones (main class only). */
    final TicketQueue priority = new TicketQueue();
    final TicketQueue normal = new TicketQueue();

    /** Whether the flow is in its discipline's structures (queued work and not capped). */
    boolean scheduled;
    /** Set when the queue goes from empty to non-empty; consumed by the next {@code enter}. */
    boolean returning;

    // VTC: weighted service counter.
    double counter;
    // DRR/DLPM: deficit, stored relative to the discipline's round while active (see DeficitDiscipline).
    double deficitBase;
    long enteredSequence;
    /** DRR/DLPM: the discipline's round when the flow last stopped being dispatchable. */
    long leftRound;

    /** Dense number unique within the scheduler: a flow's index into each {@link FlowHeap}'s position array. */
    final int number;

    TenantFlow(TenantAccount account, ServiceClass serviceClass, int number) {
        this.account = account;
        this.serviceClass = serviceClass;
        this.number = number;
    }

    int queued() {
        return priority.size + normal.size;
    }

    /** The list served next: priority tickets first. */
    TicketQueue topQueue() {
        return priority.isEmpty() ? normal : priority;
    }

    QueuedTicket<?> head() {
        return priority.isEmpty() ? normal.first : priority.first;
    }

    long headId() {
        QueuedTicket<?> h = head();
        return h == null ? Long.MAX_VALUE : h.id();
    }

    double weight() {
        return account.weight;
    }

    @Override
    public String toString() {
        return "TenantFlow[" + account.id() + "/" + serviceClass + ", queued=" + queued() + "]";
    }
}
