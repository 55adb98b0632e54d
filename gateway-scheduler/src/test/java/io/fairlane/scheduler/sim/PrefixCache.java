package io.fairlane.scheduler.sim;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Whole shared prefixes held by an LRU of bounded tokens: a request whose prefix group is resident has
 * that many input tokens cached. A coarse stand-in for a paged KV cache with prefix hashing; blocks in
 * use are not pinned. Confined to the simulation thread.
 */
final class PrefixCache {

    private final long capacity;
    private final LinkedHashMap<Integer, Integer> groups = new LinkedHashMap<>(16, 0.75f, true);
    private long used;

    PrefixCache(long capacity) {
        this.capacity = capacity;
    }

    /** Cached tokens of {@code r}'s input now, without touching recency. */
    int peek(SimRequest r) {
        if (capacity == 0 || r.prefixGroup() < 0) {
            return 0;
        }
        // containsKey, unlike get, leaves an access-ordered map's order alone.
        return groups.containsKey(r.prefixGroup()) ? r.prefixLen() : 0;
    }

    /** Admits {@code r}: returns its cached tokens and makes its prefix the most recently used. */
    int admit(SimRequest r) {
        int hit = peek(r);
        if (capacity == 0 || r.prefixGroup() < 0 || r.prefixLen() > capacity) {
            return hit;
        }
        if (groups.get(r.prefixGroup()) == null) { // get: a hit becomes the most recently used
            while (used + r.prefixLen() > capacity) {
                Map.Entry<Integer, Integer> lru = groups.entrySet().iterator().next();
                used -= lru.getValue();
                groups.remove(lru.getKey());
            }
            groups.put(r.prefixGroup(), r.prefixLen());
            used += r.prefixLen();
        }
        return hit;
    }
}
