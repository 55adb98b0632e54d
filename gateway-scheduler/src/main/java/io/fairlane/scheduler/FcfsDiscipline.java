package io.fairlane.scheduler;

/**
 * First come, first served: the dispatchable flow whose first ticket is oldest. With one flow per tenant
 * in a heap keyed by first-ticket id this is a global FIFO, except that a tenant's priority tickets come
 * before its own default ones. Balances are not kept.
 */
final class FcfsDiscipline implements Discipline {

    private final FlowHeap flows = new FlowHeap();

    @Override
    public void enter(TenantFlow f, boolean returning) {
        flows.add(f, f.headId(), 0);
    }

    @Override
    public void leave(TenantFlow f) {
        flows.remove(f);
    }

    @Override
    public void emptied(TenantFlow f) {
    }

    @Override
    public void headChanged(TenantFlow f) {
        flows.update(f, f.headId(), 0);
    }

    @Override
    public QueuedTicket<?> select(int waitingInClass) {
        TenantFlow f = flows.peek();
        return f == null ? null : f.head();
    }

    @Override
    public void charge(TenantFlow f, double amount, boolean headChanged) {
        if (headChanged && flows.contains(f)) {
            flows.update(f, f.headId(), 0);
        }
    }

    @Override
    public double balance(TenantFlow f) {
        return 0;
    }

    @Override
    public boolean isEmpty() {
        return flows.isEmpty();
    }
}
