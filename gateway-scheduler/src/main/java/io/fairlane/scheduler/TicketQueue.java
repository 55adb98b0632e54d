package io.fairlane.scheduler;

/**
 * A FIFO of tickets as an intrusive doubly linked list, so that cancelling a queued ticket or
 * dispatching one from the middle (longest prefix match) is O(1). Guarded by the owning scheduler's lock.
 */
final class TicketQueue {

    QueuedTicket<?> first;
    QueuedTicket<?> last;
    int size;

    boolean isEmpty() {
        return size == 0;
    }

    void addLast(QueuedTicket<?> t) {
        t.queue = this;
        t.prev = last;
        t.next = null;
        if (last == null) {
            first = t;
        } else {
            last.next = t;
        }
        last = t;
        size++;
    }

    void remove(QueuedTicket<?> t) {
        if (t.queue != this) {
            throw new IllegalStateException("ticket " + t.id() + " is not in this queue");
        }
        if (t.prev == null) {
            first = t.next;
        } else {
            t.prev.next = t.next;
        }
        if (t.next == null) {
            last = t.prev;
        } else {
            t.next.prev = t.prev;
        }
        t.prev = null;
        t.next = null;
        t.queue = null;
        size--;
    }
}
