package io.fairlane.engine.kv;

import java.util.Objects;

/**
 * Free blocks in eviction order: the head is the least recently freed and is reused first.
 *
 * <p>Intrusive doubly linked list through {@link KvBlock#prev}/{@link KvBlock#next} with two sentinels, so
 * that a prefix-cache hit can pull a block out of the middle in O(1) without allocating (vLLM v1's
 * {@code FreeKVCacheBlockQueue} has the same shape). Confined to the engine loop thread.
 */
final class FreeBlockQueue {

    private final KvBlock head = new KvBlock(-1);
    private final KvBlock tail = new KvBlock(-1);
    private int size;

    FreeBlockQueue() {
        head.next = tail;
        tail.prev = head;
    }

    int size() {
        return size;
    }

    /** Appends {@code block} as the most recently freed. */
    void append(KvBlock block) {
        Objects.requireNonNull(block, "block");
        if (block.inFreeQueue()) {
            throw new IllegalStateException(block + " is already free");
        }
        KvBlock last = tail.prev;
        last.next = block;
        block.prev = last;
        block.next = tail;
        tail.prev = block;
        size++;
    }

    /** Removes and returns the least recently freed block. */
    KvBlock popFirst() {
        if (size == 0) {
            throw new IllegalStateException("no free block");
        }
        KvBlock first = head.next;
        remove(first);
        return first;
    }

    /** Unlinks {@code block} from wherever it is in the queue. */
    void remove(KvBlock block) {
        if (!block.inFreeQueue()) {
            throw new IllegalStateException(block + " is not free");
        }
        block.prev.next = block.next;
        block.next.prev = block.prev;
        block.prev = null;
        block.next = null;
        size--;
    }

    /** The block that {@link #popFirst} would return, or null; for tests. */
    KvBlock peekFirst() {
        return size == 0 ? null : head.next;
    }

    /** Calls {@code visitor} on each block from head to tail; for invariant checks. */
    void forEach(java.util.function.Consumer<KvBlock> visitor) {
        for (KvBlock b = head.next; b != tail; b = b.next) {
            visitor.accept(b);
        }
    }
}
