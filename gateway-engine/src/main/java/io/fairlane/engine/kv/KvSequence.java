package io.fairlane.engine.kv;

import java.util.Arrays;
import java.util.Objects;

/**
 * One sequence as the KV cache sees it: its tokens (prompt, then output as it is sampled), the hashes of its
 * full blocks, its block table and how many of its tokens have KV computed.
 *
 * <p>The block table is append-only: blocks are added at the end as the sequence grows and all are released
 * together. The one exception is copy on write, which swaps the last (partial) block of a forked sequence for
 * its private copy before the first write into it.
 *
 * <p>Created by {@link KvCacheManager#newSequence} on any thread (the prompt's block hashes are computed
 * there, off the engine loop), then confined to the engine loop thread. The hash array is published safely so
 * that {@link KvCacheManager#cachedPrefixTokens} may read it from the scheduler's thread.
 */
public final class KvSequence {

    private final String tenant;
    private final String cacheSalt;
    private final int blockSize;
    private final int promptLength;
    private int[] tokens;
    private int length;
    /** Trailing positions whose token a step in flight is still sampling (placeholders), oldest first. */
    private int pendingTokens;

    private volatile BlockHash[] hashes;
    private volatile int hashCount;

    KvBlock[] blocks = new KvBlock[4];
    int blockCount;
    int computedTokens;
    /** Leading blocks of the table already indexed in the prefix cache (or found there). */
    int indexedBlocks;
    boolean prefixCounted;
    int cachedPromptTokens;

    KvSequence(String tenant, String cacheSalt, int blockSize, int[] tokens, int length, int promptLength,
               BlockHash[] hashes, int hashCount) {
        this.tenant = Objects.requireNonNull(tenant, "tenant");
        this.cacheSalt = Objects.requireNonNull(cacheSalt, "cacheSalt");
        this.blockSize = blockSize;
        this.tokens = tokens;
        this.length = length;
        this.promptLength = promptLength;
        this.hashes = hashes;
        this.hashCount = hashCount;
    }

    public String tenant() {
        return tenant;
    }

    public String cacheSalt() {
        return cacheSalt;
    }

    /** Tokens of the sequence: prompt plus output so far. */
    public int length() {
        return length;
    }

    public int promptLength() {
        return promptLength;
    }

    /** Output tokens appended so far. */
    public int outputLength() {
        return length - promptLength;
    }

    public int tokenAt(int position) {
        Objects.checkIndex(position, length);
        return tokens[position];
    }

    /** The last token (the one a decode step feeds to the model). */
    public int lastToken() {
        return tokens[length - 1];
    }

    /** Copies tokens {@code [from, from + count)} into {@code out} at {@code offset}. */
    public void copyTokens(int from, int count, int[] out, int offset) {
        Objects.checkFromIndexSize(from, count, length);
        System.arraycopy(tokens, from, out, offset, count);
    }

    /** Tokens of the sequence; a copy. */
    public int[] tokens() {
        return Arrays.copyOf(tokens, length);
    }

    /** Output tokens so far; a copy. */
    public int[] outputTokens() {
        return Arrays.copyOfRange(tokens, promptLength, length);
    }

    /** Appends a sampled token. Its KV is computed by the next step that schedules it. */
    public void appendToken(int tokenId) {
        if (pendingTokens > 0) {
            throw new IllegalStateException("a token appended behind " + pendingTokens + " placeholder(s): " + this);
        }
        append(tokenId);
    }

    private void append(int tokenId) {
        if (length == tokens.length) {
            tokens = Arrays.copyOf(tokens, Math.max(16, tokens.length + (tokens.length >> 1)));
        }
        tokens[length++] = tokenId;
    }

    /**
     * Appends a placeholder for the token a step now in flight will sample: the sequence grows by one position, so
     * the next step can be planned (and its block allocated) before the id is on the host. The block that holds it is
     * not hashed into the prefix cache until {@link #resolvePending} gives the id.
     */
    public void appendPending() {
        append(-1);
        pendingTokens++;
    }

    /** Gives the oldest placeholder its sampled id. */
    public void resolvePending(int tokenId) {
        if (pendingTokens == 0) {
            throw new IllegalStateException("no placeholder to resolve: " + this);
        }
        tokens[length - pendingTokens] = tokenId;
        pendingTokens--;
    }

    /** A sampled token: fills the oldest placeholder when there is one, else appends. */
    public void acceptSampled(int tokenId) {
        if (pendingTokens > 0) {
            resolvePending(tokenId);
        } else {
            append(tokenId);
        }
    }

    /** Placeholders at the end of the sequence (tokens sampled by a step in flight, ids not yet on the host). */
    public int pendingTokens() {
        return pendingTokens;
    }

    /** Tokens whose ids are known: {@link #length()} less the placeholders. */
    public int knownLength() {
        return length - pendingTokens;
    }

    /** Tokens whose KV sits in the blocks now. */
    public int computedTokens() {
        return computedTokens;
    }

    /** Tokens still to compute before the sequence can sample (0 for a decoding sequence after its step). */
    public int uncomputedTokens() {
        return length - computedTokens;
    }

    /** Prompt tokens served from the prefix cache at the sequence's first scheduling. */
    public int cachedPromptTokens() {
        return cachedPromptTokens;
    }

    public int numBlocks() {
        return blockCount;
    }

    public int blockId(int index) {
        Objects.checkIndex(index, blockCount);
        return blocks[index].id;
    }

    /** The block table as page ids; a copy. */
    public int[] blockTable() {
        int[] ids = new int[blockCount];
        for (int i = 0; i < blockCount; i++) {
            ids[i] = blocks[i].id;
        }
        return ids;
    }

    public int blockSize() {
        return blockSize;
    }

    int hashCount() {
        return hashCount;
    }

    BlockHash hash(int index) {
        return hashes[index];
    }

    /** Reads the published hashes: count first, then the array, which holds at least that many. */
    BlockHash[] hashesSnapshot(int[] countOut) {
        int count = hashCount;
        countOut[0] = count;
        return hashes;
    }

    void addHash(BlockHash hash) {
        BlockHash[] current = hashes;
        int count = hashCount;
        if (count == current.length) {
            current = Arrays.copyOf(current, Math.max(4, count * 2));
        }
        current[count] = hash;
        hashes = current;
        hashCount = count + 1;
    }

    void addBlock(KvBlock block) {
        if (blockCount == blocks.length) {
            blocks = Arrays.copyOf(blocks, blocks.length * 2);
        }
        blocks[blockCount++] = block;
    }

    int[] rawTokens() {
        return tokens;
    }

    /** A fork: same tokens and hashes; block table copied (the caller takes the references). */
    KvSequence copyForFork() {
        if (pendingTokens > 0) {
            throw new IllegalStateException("cannot fork a sequence with placeholders: " + this);
        }
        int count = hashCount;
        KvSequence child = new KvSequence(tenant, cacheSalt, blockSize, Arrays.copyOf(tokens, tokens.length),
                length, promptLength, Arrays.copyOf(hashes, Math.max(count, 1)), count);
        child.blocks = Arrays.copyOf(blocks, blocks.length);
        child.blockCount = blockCount;
        child.computedTokens = computedTokens;
        child.indexedBlocks = indexedBlocks;
        child.prefixCounted = prefixCounted;
        child.cachedPromptTokens = cachedPromptTokens;
        return child;
    }

    @Override
    public String toString() {
        return "KvSequence[tenant=" + tenant + ", tokens=" + length + (pendingTokens > 0 ? " (" + pendingTokens
                + " pending)" : "") + ", prompt=" + promptLength + ", computed=" + computedTokens + ", blocks="
                + blockCount + "]";
    }
}
