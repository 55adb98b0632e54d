package io.fairlane.engine.kv;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * All KV blocks of one engine, their reference counts, the free queue and the prefix-cache index.
 *
 * <p>A block is in one of three states: in use ({@code refCount > 0}); free and cached (in the free queue,
 * still indexed by its hash, so a later prompt with the same prefix can take it back); free and empty (in
 * the queue, no hash). Allocation pops the queue's head and, if that block was cached, evicts it from the
 * index first, so the least recently freed cached data goes first.
 *
 * <p>Confined to the engine loop thread, except {@link #isCached} which reads the concurrent index and may be
 * called from any thread (prefix-length estimates at admission).
 */
final class BlockPool {

    private final KvBlock[] blocks;
    private final FreeBlockQueue free = new FreeBlockQueue();
    private final Map<BlockHash, KvBlock> index = new ConcurrentHashMap<>();
    private int cachedFree;
    private long evictions;

    BlockPool(int numBlocks) {
        if (numBlocks <= 0) {
            throw new IllegalArgumentException("numBlocks must be > 0, was " + numBlocks);
        }
        blocks = new KvBlock[numBlocks];
        for (int i = 0; i < numBlocks; i++) {
            blocks[i] = new KvBlock(i);
            free.append(blocks[i]);
        }
    }

    int numBlocks() {
        return blocks.length;
    }

    /** Blocks not referenced by any sequence (cached or empty). */
    int numFree() {
        return free.size();
    }

    /** Free blocks that still hold indexed prefix data. */
    int numCachedFree() {
        return cachedFree;
    }

    long evictions() {
        return evictions;
    }

    KvBlock block(int id) {
        return blocks[id];
    }

    /** The block holding {@code hash}'s content, or null. */
    KvBlock cached(BlockHash hash) {
        return index.get(hash);
    }

    /** Whether {@code hash} is indexed now. Safe from any thread. */
    boolean isCached(BlockHash hash) {
        return index.containsKey(hash);
    }

    /** Takes the least recently freed block, evicting its cached content; the caller checked {@link #numFree}. */
    KvBlock allocate() {
        KvBlock block = free.popFirst();
        if (block.hash != null) {
            index.remove(block.hash, block);
            block.hash = null;
            cachedFree--;
            evictions++;
        }
        block.refCount = 1;
        return block;
    }

    /** Adds a reference to a block found in the index, pulling it out of the free queue if it sat there. */
    void touch(KvBlock block) {
        if (block.refCount == 0) {
            free.remove(block);
            if (block.hash != null) {
                cachedFree--;
            }
        }
        block.refCount++;
    }

    /** Drops a reference; the block joins the free queue's tail when none is left. */
    void release(KvBlock block) {
        if (block.refCount <= 0) {
            throw new IllegalStateException("release of unreferenced " + block);
        }
        block.refCount--;
        if (block.refCount == 0) {
            free.append(block);
            if (block.hash != null) {
                cachedFree++;
            }
        }
    }

    /**
     * Indexes a full, computed block under {@code hash}. Does nothing when another block already holds the
     * same content (two sequences computed the same prefix at once): the first stays canonical and this one
     * stays anonymous, to be reused as an empty block when freed.
     */
    void cache(KvBlock block, BlockHash hash) {
        if (block.hash != null) {
            return;
        }
        if (index.putIfAbsent(hash, block) == null) {
            block.hash = hash;
        }
    }

    /** The block the next allocation takes, or null; for tests. */
    KvBlock peekFirstFree() {
        return free.peekFirst();
    }

    /** Calls {@code visitor} on free blocks from the next to be evicted to the last; for tests. */
    void forEachFree(java.util.function.Consumer<KvBlock> visitor) {
        free.forEach(visitor);
    }

    /**
     * Checks the pool's own invariants; throws {@link IllegalStateException} naming the first violation.
     * Used by tests after every operation.
     */
    void verify() {
        int[] seen = new int[blocks.length];
        int[] freeCount = {0};
        int[] cachedCount = {0};
        free.forEach(b -> {
            if (b.refCount != 0) {
                throw new IllegalStateException(b + " is in the free queue while referenced");
            }
            if (seen[b.id]++ > 0) {
                throw new IllegalStateException(b + " is in the free queue twice");
            }
            freeCount[0]++;
            if (b.hash != null) {
                cachedCount[0]++;
            }
        });
        for (KvBlock b : blocks) {
            if (b.refCount < 0) {
                throw new IllegalStateException(b + " has a negative reference count");
            }
            if (b.refCount == 0 && seen[b.id] == 0) {
                throw new IllegalStateException(b + " is unreferenced but not free");
            }
            if (b.hash != null && index.get(b.hash) != b) {
                throw new IllegalStateException(b + " carries a hash the index does not map to it");
            }
        }
        for (Map.Entry<BlockHash, KvBlock> e : index.entrySet()) {
            if (!e.getKey().equals(e.getValue().hash)) {
                throw new IllegalStateException("index maps " + e.getKey() + " to " + e.getValue());
            }
        }
        if (freeCount[0] != free.size() || cachedCount[0] != cachedFree) {
            throw new IllegalStateException("free counts drifted: queue " + freeCount[0] + " vs " + free.size()
                    + ", cached " + cachedCount[0] + " vs " + cachedFree);
        }
    }
}
