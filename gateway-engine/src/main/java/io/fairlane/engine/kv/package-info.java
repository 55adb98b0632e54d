/**
 * The paged KV cache: a pool of fixed-size blocks with reference counts, a prefix cache keyed by chained
 * SHA-256 block hashes, and per-sequence block tables.
 *
 * <p>Shape (after vLLM v1's {@code KVCacheManager} over a {@code BlockPool}): {@link
 * io.fairlane.engine.kv.KvCacheManager} is the only public entry point; it owns the package-private block pool,
 * the intrusive LRU queue of free blocks and the hash index of cached blocks. A {@link
 * io.fairlane.engine.kv.KvSequence} is one sequence's view: its tokens, its block hashes and its append-only
 * block table. Allocation answers "no room" instead of throwing, so the batch scheduler in
 * {@code io.fairlane.engine.runtime} decides whom to preempt.
 *
 * <p>See {@code docs/kv-cache.md} for the design and the facts it rests on.
 */
package io.fairlane.engine.kv;
