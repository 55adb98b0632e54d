package io.fairlane.scheduler;

/**
 * Virtual token counter (Sheng et al., "Fairness in Serving Large Language Models", OSDI 2024).
 *
 * <p>Each flow keeps a counter of the weighted service it received ({@code charge / weight}). The next
 * ticket is the oldest (priority first) of the dispatchable flow with the smallest counter, found at the
 * top of a min-heap keyed by counter. A flow whose queue was empty is lifted on return to the smallest
 * counter among dispatchable flows, or, when none is, to the counter of the last flow whose queue
 * emptied: idle time banks no credit. Charges arrive at dispatch (input) and with every progress report
 * (output), as the paper's per-step counter updates.
 *
 * <p>Charges only ever raise a counter (refunds aside), so the heap keeps stale, lower keys for flows
 * whose counter rose and re-keys a flow only when it reaches the top ({@link #freshTop}): a progress
 * report for a running request costs O(1), and many of them cost one sift when it matters. Refunds and
 * an earlier first ticket lower a key and are applied at once.
 */
final class CounterDiscipline implements Discipline {

    /** Keyed by counter, ties to the oldest first ticket. */
    private final FlowHeap flows = new FlowHeap();
    private TenantFlow lastEmptied;

    /** Re-keys stale flows at the top until the top's key is current; returns it (null when empty). */
    private TenantFlow freshTop() {
        while (!flows.isEmpty()) {
            TenantFlow top = flows.peek();
            long head = top.headId();
            if (flows.peekKey() == top.counter && flows.peekTie() == head) {
                return top;
            }
            flows.update(top, top.counter, head);
        }
        return null;
    }

    @Override
    public void enter(TenantFlow f, boolean returning) {
        if (returning) {
            TenantFlow least = freshTop();
            if (least != null) {
                f.counter = Math.max(f.counter, least.counter);
            } else if (lastEmptied != null) {
                f.counter = Math.max(f.counter, lastEmptied.counter);
            }
        }
        flows.add(f, f.counter, f.headId());
    }

    @Override
    public void leave(TenantFlow f) {
        flows.remove(f);
    }

    @Override
    public void emptied(TenantFlow f) {
        lastEmptied = f;
    }

    @Override
    public void headChanged(TenantFlow f) {
        flows.update(f, f.counter, f.headId());
    }

    @Override
    public QueuedTicket<?> select(int waitingInClass) {
        TenantFlow f = freshTop();
        return f == null ? null : f.head();
    }

    @Override
    public void charge(TenantFlow f, double amount, boolean headChanged) {
        f.counter += amount / f.weight();
        // Raised keys wait until the flow reaches the top; a lower key must surface now. A new first ticket
        // is usually younger (a raise of the tie-break), but an older default ticket can follow a
        // dispatched priority one.
        if (flows.contains(f) && (amount < 0 || headChanged && f.headId() < flows.tieOf(f))) {
            flows.update(f, f.counter, f.headId());
        }
    }

    @Override
    public double balance(TenantFlow f) {
        return f.counter;
    }

    @Override
    public boolean isEmpty() {
        return flows.isEmpty();
    }
}
