package io.fairlane.engine.kv;

/**
 * One block of the pool: {@code blockSize} token slots in every layer's K and V pages, identified by
 * {@link #id} (the page index the backend uses).
 *
 * <p>Mutable and confined to the engine loop thread. {@link #prev} and {@link #next} are the links of the
 * intrusive free queue: a block is in the queue exactly when {@code refCount == 0}.
 */
final class KvBlock {

    final int id;
    /** Sequences whose block tables hold this block. */
    int refCount;
    /** Set once the block is full and indexed in the prefix cache; null otherwise. */
    BlockHash hash;
    KvBlock prev;
    KvBlock next;

    KvBlock(int id) {
        this.id = id;
    }

    boolean inFreeQueue() {
        return prev != null;
    }

    @Override
    public String toString() {
        return "KvBlock[id=" + id + ", refs=" + refCount + ", cached=" + (hash != null) + "]";
    }
}
