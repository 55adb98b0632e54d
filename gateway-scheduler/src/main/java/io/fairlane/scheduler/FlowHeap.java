package io.fairlane.scheduler;

import java.util.Arrays;

/**
 * An indexed 4-ary min-heap of flows ordered by a (double key, long tie-break) pair: O(log n) add,
 * remove and re-key, O(1) peek.
 *
 * <p>Laid out for the cache, since with ten thousand tenants the flows themselves do not fit in it:
 * keys, tie-breaks and flow numbers live in parallel arrays, and each flow's position lives in an array
 * indexed by its {@link TenantFlow#number}, so a sift reads and writes only these compact arrays and never
 * touches a flow object. Four children per node halve the depth of a binary heap (about seven levels for
 * ten thousand flows).
 *
 * <p>Callers may keep a flow's stored key below its true key and raise it only when the flow reaches the
 * top ("lazy increase"): the top is then the true minimum as soon as its own key is current, and many
 * small raises of a flow deep in the heap cost nothing until it matters. Guarded by the owning
 * scheduler's lock.
 */
final class FlowHeap {

    private static final int ARITY = 4;

    private TenantFlow[] items = new TenantFlow[16];
    private int[] numbers = new int[16];
    private double[] keys = new double[16];
    private long[] ties = new long[16];
    /** Heap position of each flow by number, -1 when absent. */
    private int[] positions = new int[16];
    private int size;

    FlowHeap() {
        Arrays.fill(positions, -1);
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

    /** The smallest key; only meaningful when not empty. */
    double peekKey() {
        return keys[0];
    }

    /** The tie-break of the smallest key; only meaningful when not empty. */
    long peekTie() {
        return ties[0];
    }

    /** The flow at array position {@code i} (heap order, not sorted): for bounded scans. */
    TenantFlow at(int i) {
        return items[i];
    }

    /** The tie-break stored for {@code f}, which must be in the heap. */
    long tieOf(TenantFlow f) {
        return ties[checkedIndex(f)];
    }

    boolean contains(TenantFlow f) {
        return f.number < positions.length && positions[f.number] >= 0;
    }

    void add(TenantFlow f, double key, long tie) {
        if (contains(f)) {
            throw new IllegalStateException(f + " is already in the heap");
        }
        if (f.number >= positions.length) {
            int old = positions.length;
            positions = Arrays.copyOf(positions, Math.max(f.number + 1, old * 2));
            Arrays.fill(positions, old, positions.length, -1);
        }
        if (size == items.length) {
            items = Arrays.copyOf(items, size * 2);
            numbers = Arrays.copyOf(numbers, size * 2);
            keys = Arrays.copyOf(keys, size * 2);
            ties = Arrays.copyOf(ties, size * 2);
        }
        siftUp(size++, f, f.number, key, tie);
    }

    void remove(TenantFlow f) {
        int i = checkedIndex(f);
        size--;
        positions[f.number] = -1;
        TenantFlow moved = items[size];
        int movedNumber = numbers[size];
        double key = keys[size];
        long tie = ties[size];
        items[size] = null;
        if (i < size) {
            place(i, moved, movedNumber, key, tie);
        }
    }

    /** Gives {@code f} a new key and restores the order. */
    void update(TenantFlow f, double key, long tie) {
        place(checkedIndex(f), f, f.number, key, tie);
    }

    TenantFlow poll() {
        TenantFlow top = peek();
        if (top != null) {
            remove(top);
        }
        return top;
    }

    private void place(int i, TenantFlow f, int number, double key, long tie) {
        if (i > 0 && before(key, tie, keys[(i - 1) / ARITY], ties[(i - 1) / ARITY])) {
            siftUp(i, f, number, key, tie);
        } else {
            siftDown(i, f, number, key, tie);
        }
    }

    private static boolean before(double k1, long t1, double k2, long t2) {
        return k1 < k2 || (k1 == k2 && t1 < t2);
    }

    private void siftUp(int i, TenantFlow f, int number, double key, long tie) {
        while (i > 0) {
            int parent = (i - 1) / ARITY;
            if (!before(key, tie, keys[parent], ties[parent])) {
                break;
            }
            move(parent, i);
            i = parent;
        }
        set(i, f, number, key, tie);
    }

    private void siftDown(int i, TenantFlow f, int number, double key, long tie) {
        while (true) {
            int first = ARITY * i + 1;
            if (first >= size) {
                break;
            }
            int best = first;
            int end = Math.min(first + ARITY, size);
            for (int c = first + 1; c < end; c++) {
                if (before(keys[c], ties[c], keys[best], ties[best])) {
                    best = c;
                }
            }
            if (!before(keys[best], ties[best], key, tie)) {
                break;
            }
            move(best, i);
            i = best;
        }
        set(i, f, number, key, tie);
    }

    private void move(int from, int to) {
        items[to] = items[from];
        numbers[to] = numbers[from];
        keys[to] = keys[from];
        ties[to] = ties[from];
        positions[numbers[to]] = to;
    }

    private void set(int i, TenantFlow f, int number, double key, long tie) {
        items[i] = f;
        numbers[i] = number;
        keys[i] = key;
        ties[i] = tie;
        positions[number] = i;
    }

    private int checkedIndex(TenantFlow f) {
        if (!contains(f)) {
            throw new IllegalStateException(f + " is not in the heap");
        }
        return positions[f.number];
    }
}
