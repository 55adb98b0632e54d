package io.fairlane.engine.cuda;

import java.lang.foreign.Arena;
import java.util.Map;
import java.util.Set;

/**
 * Typed launchers for the kernels of {@code src/main/cuda}: the one place that knows each kernel's parameter
 * list and launch geometry, so a signature change touches the .cu file and this class only. Every method
 * checks its sizes and issues one launch on the device's stream. Confined to the device's thread.
 */
final class Kernels {

    /** Head dimensions the attention kernels are instantiated for. */
    static final Set<Integer> HEAD_DIMS = Set.of(16, 32, 64, 128, 256);
    /** Context tokens per split of decode attention (FL_DECODE_PART). */
    static final int DECODE_PART = 512;
    /** Query heads of one GQA group one decode block serves (FL_DECODE_MAX_GROUP). */
    static final int DECODE_MAX_GROUP = 8;
    static final int DECODE_THREADS = 128;
    /** scores [8][512] plus stream partials [2048] floats. */
    static final int DECODE_SHARED_BYTES = (DECODE_MAX_GROUP * DECODE_PART + 2048) * 4;
    static final int SAMPLE_THREADS = 512;
    /** Bytes of one SampleParams row (sampling.cu). */
    static final int SAMPLE_PARAMS_BYTES = 48;
    static final int GEMM_TILE = 64;

    private final DeviceRuntime device;
    private final KernelArgs args;
    private final DeviceRuntime.Kernel embed;
    private final DeviceRuntime.Kernel rmsnorm;
    private final DeviceRuntime.Kernel silu;
    private final DeviceRuntime.Kernel meanPool;
    private final DeviceRuntime.Kernel copyKv;
    private final DeviceRuntime.Kernel qkvPrepare;
    private final DeviceRuntime.Kernel decodeReduce;
    private final DeviceRuntime.Kernel addSparse;
    private final DeviceRuntime.Kernel sample;
    private final DeviceRuntime.Kernel gemm;
    private final Map<Integer, DeviceRuntime.Kernel> decodeByDim;
    private final Map<Integer, DeviceRuntime.Kernel> prefillByDim;

    Kernels(DeviceRuntime device, Arena arena) {
        this.device = device;
        this.args = new KernelArgs(arena);
        embed = device.kernel("embed_tokens");
        rmsnorm = device.kernel("rmsnorm_residual");
        silu = device.kernel("silu_mul");
        meanPool = device.kernel("mean_pool");
        copyKv = device.kernel("copy_kv_blocks");
        qkvPrepare = device.kernel("qkv_prepare");
        decodeReduce = device.kernel("decode_reduce");
        addSparse = device.kernel("logits_add_sparse");
        sample = device.kernel("sample_tokens");
        gemm = device.kernel("gemm_bf16_tn");
        decodeByDim = Map.of(16, device.kernel("paged_decode_d16"), 32, device.kernel("paged_decode_d32"),
                64, device.kernel("paged_decode_d64"), 128, device.kernel("paged_decode_d128"),
                256, device.kernel("paged_decode_d256"));
        prefillByDim = Map.of(16, device.kernel("prefill_attention_d16"), 32, device.kernel("prefill_attention_d32"),
                64, device.kernel("prefill_attention_d64"), 128, device.kernel("prefill_attention_d128"),
                256, device.kernel("prefill_attention_d256"));
    }

    DeviceRuntime device() {
        return device;
    }

    /** Query rows per prefill tile for a head dimension (PrefillShape::BQ). */
    static int prefillTileRows(int headDim) {
        return headDim > 128 ? 32 : 64;
    }

    /** Dynamic shared memory of prefill_attention_d{headDim} (PrefillShape::SMEM). */
    static int prefillSharedBytes(int headDim) {
        int bq = prefillTileRows(headDim);
        int warps = bq / 16;
        int ldh = headDim + 8;
        int q = bq * ldh * 2;
        int kv = 32 * ldh * 2;
        int s = warps * 16 * (32 + 4) * 4;
        int p = warps * 16 * (32 + 8) * 2;
        int o = warps * 16 * (headDim + 4) * 4;
        return q + 2 * kv + s + p + o;
    }

    /** Decode splits a context of {@code context} tokens takes. */
    static int decodeSplits(int context) {
        return (context + DECODE_PART - 1) / DECODE_PART;
    }

    private static int rowThreads(int width) {
        if (width >= 4096) {
            return 1024;
        }
        if (width >= 1024) {
            return 512;
        }
        return width >= 256 ? 256 : Math.max(32, (width + 31) / 32 * 32);
    }

    /** residual[t, :] = f32(table[token t, :]); tokens < 0 read prevSampled[-t - 1]. */
    void embedTokens(long tokens, long prevSampled, long table, long out, int count, int hidden, int vocab) {
        positive(count, "count");
        device.launch(embed, count, 1, 1, Math.min(256, rowThreads(hidden / 8 + 1)), 1, 1, 0,
                args.reset().ptr(tokens).ptr(prevSampled).ptr(table).ptr(out).i32(hidden).i32(vocab));
    }

    /**
     * out[r] = rmsnorm(residual[src] + delta[src] + deltaBias) * weight; src = rows[r] when rows != 0; with
     * writeResidual the sum is stored back into residual.
     */
    void rmsnorm(long residual, long delta, long deltaBias, long weight, long out, long rows, int count, int hidden,
                 float eps, boolean writeResidual) {
        positive(count, "count");
        device.launch(rmsnorm, count, 1, 1, rowThreads(hidden), 1, 1, 0,
                args.reset().ptr(residual).ptr(delta).ptr(deltaBias).ptr(weight).ptr(out).ptr(rows).i32(hidden)
                        .f32(eps).i32(writeResidual ? 1 : 0));
    }

    void siluMul(long gateUp, long out, int tokens, int inter) {
        positive(tokens, "tokens");
        long work = ((long) tokens * inter + 7) / 8;
        int blocks = (int) Math.min((work + 255) / 256, 1L << 20);
        device.launch(silu, blocks, 1, 1, 256, 1, 1, 0, args.reset().ptr(gateUp).ptr(out).i32(tokens).i32(inter));
    }

    void meanPool(long hiddenRows, long ranges, long out, int sequences, int hidden) {
        positive(sequences, "sequences");
        device.launch(meanPool, sequences, (hidden + 255) / 256, 1, 256, 1, 1, 0,
                args.reset().ptr(hiddenRows).ptr(ranges).ptr(out).i32(hidden));
    }

    void copyKvBlocks(long pool, long pairs, int count, int layers, int numBlocks, long blockElems) {
        positive(count, "count");
        device.launch(copyKv, count, layers * 2, 1, 256, 1, 1, 0,
                args.reset().ptr(pool).ptr(pairs).i32(numBlocks).i64(blockElems));
    }

    void qkvPrepare(long qkv, long bias, long qNorm, long kNorm, float eps, long positions, long invFreq,
                    boolean interleaved, long qOut, long kCache, long vCache, long slots, int tokens, int hq, int hkv,
                    int headDim) {
        positive(tokens, "tokens");
        requireHeadDim(headDim);
        device.launch(qkvPrepare, tokens, hq + hkv, 1, headDim / 2, 1, 1, 0,
                args.reset().ptr(qkv).ptr(bias).ptr(qNorm).ptr(kNorm).f32(eps).ptr(positions).ptr(invFreq)
                        .i32(interleaved ? 1 : 0).ptr(qOut).ptr(kCache).ptr(vCache).ptr(slots).i32(hq).i32(hkv)
                        .i32(headDim));
    }

    /**
     * Flash-decoding over {@code sequences} decode rows; {@code maxSplits} is the split count of the longest
     * context launched for (blocks past a sequence's own context exit at once).
     */
    void pagedDecode(long q, long kCache, long vCache, long seqRows, long contextLens, long blockTables,
                     int tableStride, int blockSize, int hq, int hkv, int headDim, float scale, int window,
                     long splitOffsets, long partOut, long partMl, int sequences, int maxSplits) {
        positive(sequences, "sequences");
        positive(maxSplits, "maxSplits");
        int group = hq / hkv;
        int chunks = (group + DECODE_MAX_GROUP - 1) / DECODE_MAX_GROUP;
        device.launch(decodeByDim.get(requireHeadDim(headDim)), sequences, hkv * chunks, maxSplits,
                DECODE_THREADS, 1, 1, DECODE_SHARED_BYTES,
                args.reset().ptr(q).ptr(kCache).ptr(vCache).ptr(seqRows).ptr(contextLens).ptr(blockTables)
                        .i32(tableStride).i32(blockSize).i32(hq).i32(hkv).f32(scale).i32(window).ptr(splitOffsets)
                        .ptr(partOut).ptr(partMl));
    }

    void decodeReduce(long partOut, long partMl, long seqRows, long contextLens, long splitOffsets, long out,
                      int sequences, int hq, int headDim) {
        positive(sequences, "sequences");
        device.launch(decodeReduce, sequences, hq, 1, Math.min(256, headDim), 1, 1, 0,
                args.reset().ptr(partOut).ptr(partMl).ptr(seqRows).ptr(contextLens).ptr(splitOffsets).ptr(out)
                        .i32(hq).i32(headDim));
    }

    void prefillAttention(long q, long kCache, long vCache, long tiles, int tileCount, long qStart, long qLen,
                          long contextLens, long blockTables, int tableStride, int blockSize, int hq, int hkv,
                          int headDim, float scale, int window, long out) {
        positive(tileCount, "tileCount");
        requireHeadDim(headDim);
        device.launch(prefillByDim.get(headDim), tileCount, hq, 1, prefillTileRows(headDim) / 16 * 32, 1, 1,
                prefillSharedBytes(headDim),
                args.reset().ptr(q).ptr(kCache).ptr(vCache).ptr(tiles).ptr(qStart).ptr(qLen).ptr(contextLens)
                        .ptr(blockTables).i32(tableStride).i32(blockSize).i32(hq).i32(hkv).f32(scale).i32(window)
                        .ptr(out));
    }

    void addSparse(long logits, int vocab, long rows, long tokens, long deltas, int count) {
        positive(count, "count");
        device.launch(addSparse, (count + 255) / 256, 1, 1, 256, 1, 1, 0,
                args.reset().ptr(logits).i32(vocab).ptr(rows).ptr(tokens).ptr(deltas).i32(count));
    }

    void sample(long logits, int vocab, long params, long outTokens, long outLogprob, long topIds, long topLogprobs,
                int maxTop, int rows) {
        positive(rows, "rows");
        device.launch(sample, rows, 1, 1, SAMPLE_THREADS, 1, 1, 0,
                args.reset().ptr(logits).i32(vocab).ptr(params).ptr(outTokens).ptr(outLogprob).ptr(topIds)
                        .ptr(topLogprobs).i32(maxTop));
    }

    /** y[m, n] = x[m, k] . w[n, k]^T through the fallback tensor-core kernel. */
    void gemm(long x, long w, long y, int m, int n, int k, boolean outF32) {
        positive(m, "m");
        positive(n, "n");
        positive(k, "k");
        device.launch(gemm, (n + GEMM_TILE - 1) / GEMM_TILE, (m + GEMM_TILE - 1) / GEMM_TILE, 1, 128, 1, 1, 0,
                args.reset().ptr(x).ptr(w).ptr(y).i32(m).i32(n).i32(k).i32(outF32 ? 1 : 0));
    }

    static int requireHeadDim(int headDim) {
        if (!HEAD_DIMS.contains(headDim)) {
            throw new IllegalArgumentException("head_dim " + headDim + " is not supported by the CUDA kernels"
                    + " (supported: 16, 32, 64, 128, 256)");
        }
        return headDim;
    }

    private static void positive(int value, String name) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be > 0, was " + value);
        }
    }
}
