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
 */
final class CounterDiscipline implements Discipline {

    private final FlowHeap flows = new FlowHeap(0, (a, b) ->
            a.counter < b.counter || (a.counter == b.counter && a.headId() < b.headId()));
    private TenantFlow lastEmptied;

    @Override
    public void enter(TenantFlow f, boolean returning) {
        if (returning) {
            TenantFlow least = flows.peek();
            if (least != null) {
                f.counter = Math.max(f.counter, least.counter);
            } else if (lastEmptied != null) {
                f.counter = Math.max(f.counter, lastEmptied.counter);
            }
        }
        flows.add(f);
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
        flows.update(f);
    }

    @Override
    public QueuedTicket<?> select(int waitingInClass) {
        TenantFlow f = flows.peek();
        return f == null ? null : f.head();
    }

    @Override
    public void charge(TenantFlow f, double amount) {
        f.counter += amount / f.weight();
        if (flows.contains(f)) {
            flows.update(f);
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
