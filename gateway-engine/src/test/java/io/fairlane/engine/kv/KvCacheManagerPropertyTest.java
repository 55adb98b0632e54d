package io.fairlane.engine.kv;

import static io.fairlane.engine.kv.SeededRuns.between;
import static io.fairlane.engine.kv.SeededRuns.forEachSeed;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Pool invariants under random interleavings, checked against a simulated KV store: every "forward step"
 * writes each computed token id into the slot its block table names, and block copies are applied first,
 * the way the backend runs them. If a prefix hit, a fork or a copy on write ever gave a sequence the wrong
 * block, the store would disagree with the sequence's tokens.
 */
class KvCacheManagerPropertyTest {

    private static final int NEW = 0;
    private static final int STEP = 1;
    private static final int DECODE = 2;
    private static final int FORK = 3;
    private static final int FINISH = 4;
    private static final int PREEMPT = 5;
    private static final int CANCEL_AFTER_ALLOCATION = 6;
    private static final int KINDS = 7;

    record Op(int kind, int a, int b, int c) {
    }

    private static List<Op> operations(Random random) {
        List<Op> ops = new ArrayList<>();
        for (int i = between(random, 1, 80); i > 0; i--) {
            ops.add(new Op(random.nextInt(KINDS), random.nextInt(1_001), random.nextInt(1_001), random.nextInt(1_001)));
        }
        return ops;
    }

    private static int[] tokens(Random random, int length) {
        int[] ids = new int[length];
        Arrays.setAll(ids, i -> random.nextInt(200_001));
        return ids;
    }

    private static String salt(Random random) {
        StringBuilder sb = new StringBuilder();
        for (int i = between(random, 1, 20); i > 0; i--) {
            sb.appendCodePoint(random.nextBoolean() ? between(random, 'a', 'z') : between(random, 0x20, 0x2FFF));
        }
        return sb.toString();
    }

    @Test
    void anyInterleaving_keepsInvariantsAndReturnsEveryBlock() {
        forEachSeed(400, random -> {
            int numBlocks = between(random, 2, 40);
            int blockSize = between(random, 1, 8);
            List<Op> ops = operations(random);
            Simulation sim = new Simulation(numBlocks, blockSize);
            for (int i = 0; i < ops.size(); i++) {
                sim.apply(ops.get(i));
                try {
                    sim.kv.verify();
                    sim.checkContents();
                } catch (AssertionError | IllegalStateException e) {
                    throw new AssertionError("after op " + i + " of " + ops + " (blocks=" + numBlocks + ", blockSize="
                            + blockSize + "): " + e.getMessage(), e);
                }
            }
            for (KvSequence seq : sim.live) {
                sim.kv.free(seq);
            }
            sim.kv.verify();
            assertThat(sim.kv.freeBlocks()).as("free blocks after %s", ops).isEqualTo(numBlocks);
        });
    }

    @Test
    void hashFullBlocks_sameTokensAndSalt_sameHashes() {
        forEachSeed(200, random -> {
            int[] ids = tokens(random, between(random, 0, 100));
            String salt = salt(random);
            int blockSize = between(random, 1, 32);
            assertThat(BlockHasher.hashFullBlocks(ids, ids.length, blockSize, salt))
                    .containsExactly(BlockHasher.hashFullBlocks(ids.clone(), ids.length, blockSize, new String(salt)));
        });
    }

    @Test
    void hashFullBlocks_differentSalt_noHashInCommon() {
        forEachSeed(200, random -> {
            int[] ids = tokens(random, between(random, 32, 100));
            String salt = salt(random);
            String otherSalt = salt + salt(random);
            int blockSize = between(random, 1, 32);
            List<BlockHash> a = Arrays.asList(BlockHasher.hashFullBlocks(ids, ids.length, blockSize, salt));
            List<BlockHash> b = Arrays.asList(BlockHasher.hashFullBlocks(ids, ids.length, blockSize, otherSalt));
            assertThat(a).doesNotContainAnyElementsOf(b);
        });
    }

    @Test
    void free_anyOrder_queuesSequencesInFreeOrderDeepestBlockFirst() {
        forEachSeed(200, random -> {
            int blockSize = 4;
            List<Integer> blocksPerSequence = new ArrayList<>();
            for (int i = between(random, 1, 6); i > 0; i--) {
                blocksPerSequence.add(between(random, 1, 5));
            }
            int total = blocksPerSequence.stream().mapToInt(Integer::intValue).sum();
            KvCacheManager kv = new KvCacheManager(total, blockSize);
            List<KvSequence> sequences = new ArrayList<>();
            for (int blocks : blocksPerSequence) {
                int length = blocks * blockSize;
                int base = 10_000 * sequences.size();
                int[] ids = new int[length];
                Arrays.setAll(ids, i -> base + i);
                KvSequence seq = kv.newSequence("t", "t", ids);
                kv.commitComputed(seq, kv.allocatePrefill(seq, length));
                sequences.add(seq);
            }
            List<KvSequence> freeOrder = new ArrayList<>(sequences);
            Collections.shuffle(freeOrder, random);
            List<Integer> expected = new ArrayList<>();
            for (KvSequence seq : freeOrder) {
                for (int i = seq.numBlocks() - 1; i >= 0; i--) {
                    expected.add(seq.blockId(i));
                }
                kv.free(seq);
            }
            List<Integer> queue = new ArrayList<>();
            kv.pool().forEachFree(b -> queue.add(b.id));
            assertThat(queue).as("blocks per sequence %s", blocksPerSequence).containsExactlyElementsOf(expected);
        });
    }

    @Test
    void allocate_afterFree_evictsCachedBlocksInQueueOrder() {
        forEachSeed(200, random -> {
            int blockSize = 4;
            List<Integer> blocksPerSequence = new ArrayList<>();
            for (int i = between(random, 1, 6); i > 0; i--) {
                blocksPerSequence.add(between(random, 1, 5));
            }
            int total = blocksPerSequence.stream().mapToInt(Integer::intValue).sum();
            int wanted = Math.min(between(random, 1, 30), total);
            KvCacheManager kv = new KvCacheManager(total, blockSize);
            for (int s = 0; s < blocksPerSequence.size(); s++) {
                int length = blocksPerSequence.get(s) * blockSize;
                int base = 10_000 * s;
                int[] ids = new int[length];
                Arrays.setAll(ids, i -> base + i);
                KvSequence seq = kv.newSequence("t", "t", ids);
                kv.commitComputed(seq, kv.allocatePrefill(seq, length));
                kv.free(seq);
            }
            List<Integer> queue = new ArrayList<>();
            kv.pool().forEachFree(b -> queue.add(b.id));
            int[] fresh = new int[wanted * blockSize];
            Arrays.setAll(fresh, i -> 900_000 + i);
            KvSequence taker = kv.newSequence("t", "t", fresh);
            kv.allocatePrefill(taker, fresh.length);
            assertThat(Arrays.stream(taker.blockTable()).boxed().toList())
                    .containsExactlyElementsOf(queue.subList(0, wanted));
        });
    }

    /** The cache manager plus a simulated KV store and the live sequences of a random run. */
    private static final class Simulation {

        final KvCacheManager kv;
        final int blockSize;
        final int[][] store;
        final List<KvSequence> live = new ArrayList<>();

        Simulation(int numBlocks, int blockSize) {
            this.kv = new KvCacheManager(numBlocks, blockSize);
            this.blockSize = blockSize;
            this.store = new int[numBlocks][blockSize];
            for (int[] block : store) {
                Arrays.fill(block, -1);
            }
        }

        void apply(Op op) {
            if (op.kind() == NEW || live.isEmpty()) {
                live.add(kv.newSequence("t" + op.a() % 2, "salt" + op.a() % 2, prompt(op)));
                return;
            }
            KvSequence seq = live.get(op.a() % live.size());
            switch (op.kind()) {
                case STEP -> {
                    int scheduled = allocate(seq, 1 + op.b() % 20);
                    if (scheduled > 0) {
                        runStep(seq, scheduled);
                    }
                }
                case DECODE -> {
                    if (seq.uncomputedTokens() == 0) {
                        seq.appendToken(op.b() % 50);
                    }
                    int scheduled = allocate(seq, 1);
                    if (scheduled > 0) {
                        runStep(seq, scheduled);
                    }
                }
                case FORK -> live.add(kv.fork(seq));
                case FINISH -> {
                    kv.free(seq);
                    live.remove(seq);
                }
                case PREEMPT -> kv.free(seq);
                case CANCEL_AFTER_ALLOCATION -> {
                    allocate(seq, 1 + op.b() % 20);
                    kv.free(seq);
                    live.remove(seq);
                }
                default -> throw new IllegalStateException("kind " + op.kind());
            }
        }

        /** Shared prefixes from three families, so hits, duplicates and forks of shared blocks happen. */
        private static int[] prompt(Op op) {
            int family = op.b() % 3;
            int length = 1 + op.c() % 30;
            int shared = op.c() % 2 == 0 ? length : length / 2;
            int[] tokens = new int[length];
            for (int i = 0; i < length; i++) {
                tokens[i] = i < shared ? family * 100 + i : 1_000 + (op.b() * 31 + i) % 97;
            }
            return tokens;
        }

        /** Room for up to {@code budget} tokens; the tokens scheduled, or 0 for no room or nothing to do. */
        private int allocate(KvSequence seq, int budget) {
            if (seq.uncomputedTokens() == 0) {
                return 0;
            }
            if (seq.numBlocks() == 0) {
                return kv.allocatePrefill(seq, budget);
            }
            int wanted = Math.min(budget, seq.uncomputedTokens());
            return kv.allocateSlots(seq, wanted) ? wanted : 0;
        }

        /** What the backend does: copies first, then KV writes for the scheduled positions. */
        private void runStep(KvSequence seq, int tokens) {
            for (BlockCopy copy : kv.drainPendingCopies()) {
                store[copy.target()] = store[copy.source()].clone();
            }
            for (int p = seq.computedTokens(); p < seq.computedTokens() + tokens; p++) {
                store[seq.blockId(p / blockSize)][p % blockSize] = seq.tokenAt(p);
            }
            kv.commitComputed(seq, tokens);
        }

        void checkContents() {
            for (KvSequence seq : live) {
                for (int p = 0; p < seq.computedTokens(); p++) {
                    assertThat(store[seq.blockId(p / blockSize)][p % blockSize])
                            .as("slot of position %d of %s", p, seq).isEqualTo(seq.tokenAt(p));
                }
            }
        }
    }
}
