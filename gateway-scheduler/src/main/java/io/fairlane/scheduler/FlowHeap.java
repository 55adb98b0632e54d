package io.fairlane.scheduler;

import java.util.Arrays;

/**
 * An indexed binary min-heap of flows: O(log n) add, remove and re-key, O(1) peek. Each flow stores its
 * position for this heap in one of two slots ({@code heapIndex0} or {@code heapIndex1}), so a flow can sit
 * in two heaps of one discipline at once and be found without a search. Guarded by the owning scheduler's
 * lock.
 */
final class FlowHeap {

    /** The heap's order: whether {@code a} comes out before {@code b}. */
    @FunctionalInterface
    interface Order {
        boolean before(TenantFlow a, TenantFlow b);
    }

    private final int slot;
    private final Order order;
    private TenantFlow[] items = new TenantFlow[16];
    private int size;

    FlowHeap(int slot, Order order) {
        if (slot != 0 && slot != 1) {
            throw new IllegalArgumentException("slot must be 0 or 1, was " + slot);
        }
        this.slot = slot;
        this.order = order;
    }

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    TenantFlow peek() {
        return size == 0 ? null : items[0];
    }

    /** The flow at array position {@code i} (heap order, not sorted): for bounded scans. */
    TenantFlow at(int i) {
        return items[i];
    }

    boolean contains(TenantFlow f) {
        int i = index(f);
        return i >= 0 && i < size && items[i] == f;
    }

    void add(TenantFlow f) {
        if (contains(f)) {
            throw new IllegalStateException(f + " is already in the heap");
        }
        if (size == items.length) {
            items = Arrays.copyOf(items, size * 2);
        }
        items[size] = f;
        setIndex(f, size);
        size++;
        siftUp(size - 1);
    }

    void remove(TenantFlow f) {
        int i = index(f);
        if (i < 0 || i >= size || items[i] != f) {
            throw new IllegalStateException(f + " is not in the heap");
        }
        size--;
        TenantFlow moved = items[size];
        items[size] = null;
        setIndex(f, -1);
        if (i < size) {
            items[i] = moved;
            setIndex(moved, i);
            if (!siftUp(i)) {
                siftDown(i);
            }
        }
    }

    /** Restores order after {@code f}'s key changed. */
    void update(TenantFlow f) {
        int i = index(f);
        if (i < 0 || i >= size || items[i] != f) {
            throw new IllegalStateException(f + " is not in the heap");
        }
        if (!siftUp(i)) {
            siftDown(i);
        }
    }

    TenantFlow poll() {
        TenantFlow top = peek();
        if (top != null) {
            remove(top);
        }
        return top;
    }

    private boolean siftUp(int i) {
        TenantFlow f = items[i];
        int start = i;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            TenantFlow p = items[parent];
            if (!order.before(f, p)) {
                break;
            }
            items[i] = p;
            setIndex(p, i);
            i = parent;
        }
        items[i] = f;
        setIndex(f, i);
        return i != start;
    }

    private void siftDown(int i) {
        TenantFlow f = items[i];
        int half = size >>> 1;
        while (i < half) {
            int child = 2 * i + 1;
            int right = child + 1;
            if (right < size && order.before(items[right], items[child])) {
                child = right;
            }
            if (!order.before(items[child], f)) {
                break;
            }
            items[i] = items[child];
            setIndex(items[i], i);
            i = child;
        }
        items[i] = f;
        setIndex(f, i);
    }

    private int index(TenantFlow f) {
        return slot == 0 ? f.heapIndex0 : f.heapIndex1;
    }

    private void setIndex(TenantFlow f, int i) {
        if (slot == 0) {
            f.heapIndex0 = i;
        } else {
            f.heapIndex1 = i;
        }
    }
}
