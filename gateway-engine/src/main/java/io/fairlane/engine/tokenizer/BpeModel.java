package io.fairlane.engine.tokenizer;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The BPE model of a {@code tokenizer.json}: splits one pre-tokenized word into characters (or bytes, with
 * {@code byte_fallback}) and applies merge rules, lowest rank first and leftmost among equal ranks, exactly
 * as the Hugging Face library does.
 *
 * <p>Implementation notes. A word's symbols live in parallel int arrays linked as a doubly linked list.
 * Short words (almost every word of a byte-level tokenizer) are merged by scanning for the best pair, which
 * is faster than a heap below a few dozen symbols. Long words (SentencePiece-style tokenizers have no
 * pre-tokenizer, so a whole paragraph is one word) use a binary min-heap of candidate merges keyed by
 * {@code rank << 32 | position}; a popped candidate is checked against the current neighbours and skipped
 * when stale. Merge rules sit in a {@link MergeTable} so that no lookup allocates. Words shorter than
 * {@link #CACHE_MAX_CHARS} are cached, up to {@link #CACHE_CAPACITY} entries, as the reference does.
 *
 * <p>Thread-safe: the vocabulary and merges are immutable and the cache is concurrent.
 */
final class BpeModel {

    static final int CACHE_CAPACITY = 10_000;
    static final int CACHE_MAX_CHARS = 256;
    private static final int SCAN_LIMIT = 48;

    private final Map<String, Integer> vocab;
    private final MergeTable merges;
    private final int unkId;
    private final boolean fuseUnk;
    private final boolean byteFallback;
    private final boolean ignoreMerges;
    private final String continuingPrefix;
    private final String endOfWordSuffix;
    /** Ids of single-character tokens of the Basic Multilingual Plane, -1 when absent; null when affixes apply. */
    private final int[] bmpCharIds;
    private final int[] byteFallbackIds;
    private final ConcurrentHashMap<String, int[]> cache = new ConcurrentHashMap<>();

    BpeModel(Map<String, Integer> vocab, MergeTable merges, String unkToken, boolean fuseUnk, boolean byteFallback,
             boolean ignoreMerges, String continuingPrefix, String endOfWordSuffix) {
        this.vocab = java.util.Collections.unmodifiableMap(vocab);  // a copy would rehash 100k+ strings
        this.merges = merges;
        this.unkId = unkToken == null ? -1 : vocab.getOrDefault(unkToken, -1);
        if (unkToken != null && unkId < 0) {
            throw new IllegalArgumentException("unk_token '" + unkToken + "' is not in the vocabulary");
        }
        this.fuseUnk = fuseUnk;
        this.byteFallback = byteFallback;
        this.ignoreMerges = ignoreMerges;
        this.continuingPrefix = continuingPrefix == null || continuingPrefix.isEmpty() ? null : continuingPrefix;
        this.endOfWordSuffix = endOfWordSuffix == null || endOfWordSuffix.isEmpty() ? null : endOfWordSuffix;
        if (this.continuingPrefix == null && this.endOfWordSuffix == null) {
            bmpCharIds = new int[0x10000];
            Arrays.fill(bmpCharIds, -1);
            vocab.forEach((token, id) -> {
                if (token.length() == 1) {
                    bmpCharIds[token.charAt(0)] = id;
                }
            });
        } else {
            bmpCharIds = null;
        }
        byteFallbackIds = new int[256];
        for (int b = 0; b < 256; b++) {
            byteFallbackIds[b] = vocab.getOrDefault(String.format("<0x%02X>", b), -1);
        }
    }

    Map<String, Integer> vocab() {
        return vocab;
    }

    int mergeCount() {
        return merges.size();
    }

    /** Appends the ids of {@code word} to {@code out}. */
    void tokenize(String word, IntList out) {
        if (word.isEmpty()) {
            return;
        }
        if (ignoreMerges) {
            Integer whole = vocab.get(word);
            if (whole != null) {
                out.add(whole);
                return;
            }
        }
        boolean cacheable = word.length() < CACHE_MAX_CHARS;
        if (cacheable) {
            int[] hit = cache.get(word);
            if (hit != null) {
                out.addAll(hit);
                return;
            }
        }
        int[] ids = mergeWord(word);
        if (cacheable && cache.size() < CACHE_CAPACITY) {
            cache.putIfAbsent(word, ids);
        }
        out.addAll(ids);
    }

    private int[] mergeWord(String word) {
        IntList symbols = new IntList(word.length() + 4);
        int pendingUnk = -1;  // the reference keeps one unknown run open so consecutive unknowns can fuse
        int n = word.length();
        for (int i = 0; i < n; ) {
            int cp = word.codePointAt(i);
            int next = i + Character.charCount(cp);
            int id = charId(word, i, next, cp);
            if (id >= 0) {
                if (pendingUnk >= 0) {
                    symbols.add(pendingUnk);
                    pendingUnk = -1;
                }
                symbols.add(id);
            } else if (byteFallback && addBytes(affixed(word, i, next), symbols)) {
                // added as byte tokens; like the reference, a pending unknown stays pending
            } else if (unkId >= 0) {
                if (pendingUnk >= 0 && !fuseUnk) {
                    symbols.add(pendingUnk);
                }
                pendingUnk = unkId;
            }
            i = next;
        }
        if (pendingUnk >= 0) {
            symbols.add(pendingUnk);
        }
        int count = symbols.size();
        int[] ids = symbols.toArray();
        if (count < 2) {
            return ids;
        }
        return count <= SCAN_LIMIT ? mergeByScan(ids) : mergeByHeap(ids);
    }

    private int charId(String word, int start, int end, int cp) {
        if (bmpCharIds != null) {
            if (cp < 0x10000) {
                return bmpCharIds[cp];
            }
            return vocab.getOrDefault(word.substring(start, end), -1);
        }
        return vocab.getOrDefault(affixed(word, start, end), -1);
    }

    private String affixed(String word, int start, int end) {
        String s = word.substring(start, end);
        if (continuingPrefix != null && start > 0) {
            s = continuingPrefix + s;
        }
        if (endOfWordSuffix != null && end == word.length()) {
            s = s + endOfWordSuffix;
        }
        return s;
    }

    private boolean addBytes(String s, IntList symbols) {
        byte[] bytes = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (byte b : bytes) {
            if (byteFallbackIds[b & 0xFF] < 0) {
                return false;
            }
        }
        for (byte b : bytes) {
            symbols.add(byteFallbackIds[b & 0xFF]);
        }
        return true;
    }

    /** Repeatedly merges the lowest-ranked adjacent pair (leftmost on ties) in a compacting array. */
    private int[] mergeByScan(int[] ids) {
        int len = ids.length;
        while (len > 1) {
            int bestRank = Integer.MAX_VALUE;
            int bestPos = -1;
            int bestId = -1;
            for (int i = 0; i + 1 < len; i++) {
                int slot = merges.find(ids[i], ids[i + 1]);
                if (slot >= 0 && merges.rankAt(slot) < bestRank) {
                    bestRank = merges.rankAt(slot);
                    bestPos = i;
                    bestId = merges.mergedIdAt(slot);
                }
            }
            if (bestPos < 0) {
                break;
            }
            ids[bestPos] = bestId;
            System.arraycopy(ids, bestPos + 2, ids, bestPos + 1, len - bestPos - 2);
            len--;
        }
        return len == ids.length ? ids : Arrays.copyOf(ids, len);
    }

    /** The same merge order as {@link #mergeByScan} in O(n log n), for long words. */
    private int[] mergeByHeap(int[] ids) {
        int n = ids.length;
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int i = 0; i < n; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        long[] heap = new long[n];
        int heapSize = 0;
        for (int i = 0; i + 1 < n; i++) {
            int slot = merges.find(ids[i], ids[i + 1]);
            if (slot >= 0) {
                heap[heapSize++] = ((long) merges.rankAt(slot) << 32) | i;
            }
        }
        for (int i = heapSize / 2 - 1; i >= 0; i--) {
            siftDown(heap, heapSize, i);
        }
        int alive = n;
        while (heapSize > 0) {
            long top = heap[0];
            heap[0] = heap[--heapSize];
            siftDown(heap, heapSize, 0);
            int pos = (int) top;
            int rank = (int) (top >>> 32);
            int right = ids[pos] < 0 ? -1 : next[pos];
            if (right < 0) {
                continue;
            }
            int slot = merges.find(ids[pos], ids[right]);
            if (slot < 0 || merges.rankAt(slot) != rank) {
                continue;  // stale: a neighbour changed since this candidate was queued
            }
            ids[pos] = merges.mergedIdAt(slot);
            ids[right] = -1;
            int after = next[right];
            next[pos] = after;
            if (after >= 0) {
                prev[after] = pos;
            }
            alive--;
            if (heapSize + 2 > heap.length) {
                heap = Arrays.copyOf(heap, heap.length * 2);
            }
            int before = prev[pos];
            if (before >= 0) {
                int s = merges.find(ids[before], ids[pos]);
                if (s >= 0) {
                    heapSize = push(heap, heapSize, ((long) merges.rankAt(s) << 32) | before);
                }
            }
            if (after >= 0) {
                int s = merges.find(ids[pos], ids[after]);
                if (s >= 0) {
                    heapSize = push(heap, heapSize, ((long) merges.rankAt(s) << 32) | pos);
                }
            }
        }
        int[] out = new int[alive];
        int k = 0;
        for (int i = 0; i >= 0; i = next[i]) {
            out[k++] = ids[i];
        }
        return out;
    }

    private static int push(long[] heap, int size, long value) {
        int i = size;
        heap[i] = value;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (heap[parent] <= value) {
                break;
            }
            heap[i] = heap[parent];
            i = parent;
        }
        heap[i] = value;
        return size + 1;
    }

    private static void siftDown(long[] heap, int size, int i) {
        long value = heap[i];
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) {
                break;
            }
            if (child + 1 < size && heap[child + 1] < heap[child]) {
                child++;
            }
            if (heap[child] >= value) {
                break;
            }
            heap[i] = heap[child];
            i = child;
        }
        heap[i] = value;
    }
}
