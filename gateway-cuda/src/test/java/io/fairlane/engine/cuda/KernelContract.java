package io.fairlane.engine.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fairlane.engine.sampling.Sampler;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every kernel against a double-precision reference on random inputs of several sizes (odd widths, contexts
 * that straddle page and split boundaries, GQA groups above one block's share), with outputs poisoned first so
 * unwritten elements fail. Runs on the host emulator in every build ({@link EmulatedKernelTest}) and on a real
 * GPU where one is present ({@link GpuKernelTest}, tag {@code gpu}, with longer contexts).
 */
abstract class KernelContract {

    DeviceRuntime device;
    Kernels kernels;
    DeviceArrays mem;
    Arena arena;

    abstract DeviceRuntime openDevice();

    /** Multiplier for context lengths: 1 on the emulator, larger on a GPU. */
    abstract int contextScale();

    @BeforeEach
    void open() {
        device = openDevice();
        arena = Arena.ofConfined();
        kernels = new Kernels(device, arena);
        mem = new DeviceArrays(device);
    }

    @AfterEach
    void close() {
        mem.close();
        device.close();
        arena.close();
    }

    // ---------------------------------------------------------------------------------------------------
    // embedding, norms, activation, pooling, block copies
    // ---------------------------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(ints = {64, 67, 1000})
    void embedTokens_randomIds_copiesRowsAsF32(int hidden) {
        Random rnd = new Random(hidden);
        int vocab = 50;
        float[] table = Reference.randomBf16(rnd, vocab * hidden, 1f);
        int[] tokens = {3, 0, 49, -1, 7, -2};
        int[] prev = {11, 48};
        long out = mem.poisoned(4L * tokens.length * hidden);
        kernels.embedTokens(mem.i32(tokens), mem.i32(prev), mem.bf16(table), out, tokens.length, hidden, vocab);
        float[] got = mem.readF32(out, tokens.length * hidden);
        int[] resolved = {3, 0, 49, 11, 7, 48};
        float[] want = new float[got.length];
        for (int t = 0; t < tokens.length; t++) {
            System.arraycopy(table, resolved[t] * hidden, want, t * hidden, hidden);
        }
        assertThat(got).containsExactly(want);
    }

    @Test
    void embedTokens_idOutsideVocabulary_writesNaN() {
        int hidden = 16;
        long out = mem.poisoned(4L * hidden);
        device.fillBytes(out, 0, 4L * hidden);
        kernels.embedTokens(mem.i32(new int[] {50}), 0, mem.bf16(new float[50 * hidden]), out, 1, hidden, 50);
        float[] got = mem.readF32(out, hidden);
        assertThat(allNaN(got)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(ints = {64, 67, 300, 2048})
    void rmsnorm_withDelta_storesSumAndNormalisesIt(int hidden) {
        Random rnd = new Random(hidden * 31L);
        int rows = 5;
        float[] residual = Reference.randomBf16(rnd, rows * hidden, 2f);
        float[] delta = Reference.randomBf16(rnd, rows * hidden, 1f);
        float[] weight = Reference.randomBf16(rnd, hidden, 1.5f);
        long res = mem.f32(residual);
        long out = mem.poisoned(2L * rows * hidden);
        kernels.rmsnorm(res, mem.bf16(delta), 0, mem.bf16(weight), out, 0, rows, hidden, 1e-5f, true);
        float[] sum = new float[rows * hidden];
        for (int i = 0; i < sum.length; i++) {
            sum[i] = residual[i] + delta[i];
        }
        assertThat(mem.readF32(res, rows * hidden)).containsExactly(sum);
        double[] want = new double[rows * hidden];
        for (int r = 0; r < rows; r++) {
            float[] n = Reference.rmsnorm(sum, r * hidden, hidden, weight, 1e-5);
            for (int i = 0; i < hidden; i++) {
                want[r * hidden + i] = n[i];
            }
        }
        Reference.assertClose("rmsnorm", mem.readBf16(out, rows * hidden), want, 1e-3, 1e-2);
    }

    @Test
    void rmsnorm_rowSubsetWithoutWriteBack_leavesResidualAndNormalisesChosenRows() {
        Random rnd = new Random(7);
        int hidden = 96;
        int rows = 4;
        float[] residual = Reference.randomBf16(rnd, rows * hidden, 2f);
        float[] delta = Reference.randomBf16(rnd, rows * hidden, 1f);
        float[] weight = Reference.randomBf16(rnd, hidden, 1f);
        long res = mem.f32(residual);
        int[] pick = {3, 1};
        long out = mem.poisoned(2L * pick.length * hidden);
        kernels.rmsnorm(res, mem.bf16(delta), 0, mem.bf16(weight), out, mem.i32(pick), pick.length, hidden, 1e-6f, false);
        assertThat(mem.readF32(res, rows * hidden)).containsExactly(residual);
        float[] sum = new float[rows * hidden];
        for (int i = 0; i < sum.length; i++) {
            sum[i] = residual[i] + delta[i];
        }
        double[] want = new double[pick.length * hidden];
        for (int r = 0; r < pick.length; r++) {
            float[] n = Reference.rmsnorm(sum, pick[r] * hidden, hidden, weight, 1e-6);
            for (int i = 0; i < hidden; i++) {
                want[r * hidden + i] = n[i];
            }
        }
        Reference.assertClose("rmsnorm rows", mem.readBf16(out, pick.length * hidden), want, 1e-3, 1e-2);
    }

    @ParameterizedTest
    @ValueSource(ints = {37, 64, 1000})
    void siluMul_gateAndUpSideBySide_multipliesSiluOfGateByUp(int inter) {
        Random rnd = new Random(inter);
        int tokens = 3;
        float[] gateUp = Reference.randomBf16(rnd, tokens * 2 * inter, 4f);
        long out = mem.poisoned(2L * tokens * inter);
        kernels.siluMul(mem.bf16(gateUp), out, tokens, inter);
        double[] want = new double[tokens * inter];
        for (int t = 0; t < tokens; t++) {
            for (int i = 0; i < inter; i++) {
                want[t * inter + i] = Reference.silu(gateUp[t * 2 * inter + i]) * gateUp[t * 2 * inter + inter + i];
            }
        }
        Reference.assertClose("silu_mul", mem.readBf16(out, tokens * inter), want, 1e-3, 1e-2);
    }

    @Test
    void meanPool_rowRanges_averagesEachRange() {
        Random rnd = new Random(3);
        int hidden = 300;
        int rows = 7;
        float[] hiddenRows = Reference.randomBf16(rnd, rows * hidden, 1f);
        int[] ranges = {0, 3, 3, 4, 5, 7};
        long out = mem.poisoned(4L * 3 * hidden);
        kernels.meanPool(mem.bf16(hiddenRows), mem.i32(ranges), out, 3, hidden);
        double[] want = new double[3 * hidden];
        for (int s = 0; s < 3; s++) {
            for (int i = 0; i < hidden; i++) {
                double acc = 0;
                for (int r = ranges[2 * s]; r < ranges[2 * s + 1]; r++) {
                    acc += hiddenRows[r * hidden + i];
                }
                want[s * hidden + i] = acc / (ranges[2 * s + 1] - ranges[2 * s]);
            }
        }
        Reference.assertClose("mean_pool", mem.readF32(out, 3 * hidden), want, 1e-6, 1e-5);
    }

    @Test
    void copyKvBlocks_pairs_copiesEveryLayerAndHalfOfTheBlock() {
        int layers = 3;
        int numBlocks = 6;
        int blockElems = 16 * 2 * 32;
        Random rnd = new Random(11);
        float[] pool = Reference.randomBf16(rnd, layers * 2 * numBlocks * blockElems, 1f);
        long dev = mem.bf16(pool);
        int[] pairs = {1, 4, 2, 5};
        kernels.copyKvBlocks(dev, mem.i32(pairs), 2, layers, numBlocks, blockElems);
        float[] got = mem.readBf16(dev, pool.length);
        float[] want = pool.clone();
        for (int plane = 0; plane < layers * 2; plane++) {
            for (int p = 0; p < 2; p++) {
                int src = (plane * numBlocks + pairs[2 * p]) * blockElems;
                int dst = (plane * numBlocks + pairs[2 * p + 1]) * blockElems;
                System.arraycopy(pool, src, want, dst, blockElems);
            }
        }
        assertThat(got).containsExactly(want);
    }

    // ---------------------------------------------------------------------------------------------------
    // QKV preparation: bias, q/k norm, rotary embedding, KV page writes
    // ---------------------------------------------------------------------------------------------------

    @ParameterizedTest
    @CsvSource({
        "16, 4, 1, true, true, false",
        "32, 4, 2, false, false, false",
        "64, 4, 1, true, false, false",
        "128, 8, 2, false, true, false",
        "128, 2, 2, false, false, true",
        "256, 2, 1, true, true, true",
    })
    void qkvPrepare_randomHeads_matchesReferenceAndWritesOnlyGivenSlots(int d, int hq, int hkv, boolean bias,
                                                                       boolean qkNorm, boolean interleaved) {
        Random rnd = new Random(d * 131L + hq);
        int tokens = 5;
        int width = (hq + 2 * hkv) * d;
        int blockSize = 4;
        int numBlocks = 4;
        float[] qkv = Reference.randomBf16(rnd, tokens * width, 2f);
        float[] biasV = bias ? Reference.randomBf16(rnd, width, 0.5f) : null;
        float[] qn = qkNorm ? Reference.randomBf16(rnd, d, 1.5f) : null;
        float[] kn = qkNorm ? Reference.randomBf16(rnd, d, 1.5f) : null;
        int[] positions = {0, 1, 17, 4095, 131071};
        int[] slots = {3, 9, -1, 0, 15};
        float[] invFreq = Reference.ropeFrequencies(d, 500000.0);
        long qOut = mem.poisoned(2L * tokens * hq * d);
        long cacheElems = (long) numBlocks * blockSize * hkv * d;
        long kCache = mem.poisoned(2 * cacheElems);
        long vCache = mem.poisoned(2 * cacheElems);
        kernels.qkvPrepare(mem.bf16(qkv), bias ? mem.bf16(biasV) : 0, qkNorm ? mem.bf16(qn) : 0,
                qkNorm ? mem.bf16(kn) : 0, 1e-6f, mem.i32(positions), mem.f32(invFreq), interleaved, qOut, kCache,
                vCache, mem.i32(slots), tokens, hq, hkv, d);

        float[] q = mem.readBf16(qOut, tokens * hq * d);
        float[] k = mem.readBf16(kCache, (int) cacheElems);
        float[] v = mem.readBf16(vCache, (int) cacheElems);
        double[] wantQ = new double[tokens * hq * d];
        double[] wantK = new double[(int) cacheElems];
        double[] wantV = new double[(int) cacheElems];
        Arrays.fill(wantK, Double.NaN);
        Arrays.fill(wantV, Double.NaN);
        for (int t = 0; t < tokens; t++) {
            for (int h = 0; h < hq + hkv; h++) {
                double[] x = new double[d];
                for (int e = 0; e < d; e++) {
                    x[e] = qkv[t * width + h * d + e] + (bias ? biasV[h * d + e] : 0);
                }
                if (qkNorm) {
                    float[] xf = new float[d];
                    for (int e = 0; e < d; e++) {
                        xf[e] = (float) x[e];
                    }
                    float[] n = Reference.rmsnorm(xf, 0, d, h < hq ? qn : kn, 1e-6);
                    for (int e = 0; e < d; e++) {
                        x[e] = n[e];
                    }
                }
                Reference.rope(x, positions[t], invFreq, interleaved);
                if (h < hq) {
                    System.arraycopy(x, 0, wantQ, (t * hq + h) * d, d);
                } else if (slots[t] >= 0) {
                    int kvh = h - hq;
                    int base = (slots[t] * hkv + kvh) * d;
                    System.arraycopy(x, 0, wantK, base, d);
                    for (int e = 0; e < d; e++) {
                        wantV[base + e] = qkv[t * width + (hq + hkv + kvh) * d + e]
                                + (bias ? biasV[(hq + hkv + kvh) * d + e] : 0);
                    }
                }
            }
        }
        Reference.assertClose("q", q, wantQ, 2e-3, 1e-2);
        assertWrittenExactlyWhereExpected("k cache", k, wantK);
        assertWrittenExactlyWhereExpected("v cache", v, wantV);
    }

    static boolean allNaN(float[] values) {
        for (float v : values) {
            if (!Float.isNaN(v)) {
                return false;
            }
        }
        return true;
    }

    private static void assertWrittenExactlyWhereExpected(String what, float[] got, double[] want) {
        for (int i = 0; i < got.length; i++) {
            if (Double.isNaN(want[i])) {
                assertThat(Float.isNaN(got[i])).as(what + " element " + i + " must stay unwritten").isTrue();
            } else {
                double err = Math.abs(got[i] - want[i]);
                assertThat(err <= 2e-3 + 1e-2 * Math.abs(want[i]))
                        .as(what + " element " + i + " is " + got[i] + ", expected " + want[i]).isTrue();
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------
    // attention over pages
    // ---------------------------------------------------------------------------------------------------

    /** A KV pool with each sequence's pages scattered, filled with random K and V; untouched slots stay NaN. */
    final class PagedContext {
        final int d;
        final int hkv;
        final int blockSize;
        final int numBlocks;
        final int stride;
        final int[][] tables;
        final double[][][][] keys;   // [seq][t][hkv][d]
        final double[][][][] values;
        final long kCache;
        final long vCache;
        final long blockTables;

        PagedContext(Random rnd, int[] contexts, int hkv, int d, int blockSize) {
            this.d = d;
            this.hkv = hkv;
            this.blockSize = blockSize;
            int pagesNeeded = 0;
            int maxPages = 1;
            for (int c : contexts) {
                int p = (c + blockSize - 1) / blockSize;
                pagesNeeded += p;
                maxPages = Math.max(maxPages, p);
            }
            numBlocks = pagesNeeded + 3;
            stride = maxPages + 1;
            List<Integer> pool = new ArrayList<>();
            for (int i = 0; i < numBlocks; i++) {
                pool.add(i);
            }
            Collections.shuffle(pool, rnd);
            tables = new int[contexts.length][];
            int[] flat = new int[contexts.length * stride];
            Arrays.fill(flat, -1);
            long elems = (long) numBlocks * blockSize * hkv * d;
            float[] k = new float[(int) elems];
            float[] v = new float[(int) elems];
            Arrays.fill(k, Float.NaN);
            Arrays.fill(v, Float.NaN);
            keys = new double[contexts.length][][][];
            values = new double[contexts.length][][][];
            int next = 0;
            for (int s = 0; s < contexts.length; s++) {
                int pages = (contexts[s] + blockSize - 1) / blockSize;
                tables[s] = new int[pages];
                for (int p = 0; p < pages; p++) {
                    tables[s][p] = pool.get(next++);
                    flat[s * stride + p] = tables[s][p];
                }
                keys[s] = new double[contexts[s]][hkv][d];
                values[s] = new double[contexts[s]][hkv][d];
                for (int t = 0; t < contexts[s]; t++) {
                    int slot = tables[s][t / blockSize] * blockSize + t % blockSize;
                    for (int h = 0; h < hkv; h++) {
                        for (int e = 0; e < d; e++) {
                            float kv = Bf16.round(rnd.nextFloat() * 2 - 1);
                            float vv = Bf16.round(rnd.nextFloat() * 2 - 1);
                            k[(slot * hkv + h) * d + e] = kv;
                            v[(slot * hkv + h) * d + e] = vv;
                            keys[s][t][h][e] = kv;
                            values[s][t][h][e] = vv;
                        }
                    }
                }
            }
            kCache = mem.bf16(k);
            vCache = mem.bf16(v);
            blockTables = mem.i32(flat);
        }

        double[][] keysOf(int s, int h) {
            double[][] out = new double[keys[s].length][];
            for (int t = 0; t < out.length; t++) {
                out[t] = keys[s][t][h];
            }
            return out;
        }

        double[][] valuesOf(int s, int h) {
            double[][] out = new double[values[s].length][];
            for (int t = 0; t < out.length; t++) {
                out[t] = values[s][t][h];
            }
            return out;
        }
    }

    @ParameterizedTest
    @CsvSource({
        "16, 4, 1, 16, 0",
        "32, 2, 2, 16, 0",
        "64, 8, 2, 16, 0",
        "128, 4, 1, 16, 0",
        "128, 12, 1, 16, 0",
        "256, 2, 1, 8, 0",
        "64, 4, 2, 16, 300",
    })
    void pagedDecode_scatteredPages_matchesReferenceAttention(int d, int hq, int hkv, int blockSize, int window) {
        Random rnd = new Random(d * 7L + hq * 3L + window);
        int scale = contextScale();
        int[] contexts = {1, 17, 511, 512, 513, 1300 * scale};
        int sequences = contexts.length;
        PagedContext ctx = new PagedContext(rnd, contexts, hkv, d, blockSize);
        // query rows in reverse order, with an extra row that no sequence owns
        int rowsTotal = sequences + 1;
        int[] seqRows = new int[sequences];
        for (int s = 0; s < sequences; s++) {
            seqRows[s] = sequences - 1 - s;
        }
        float[] q = Reference.randomBf16(rnd, rowsTotal * hq * d, 1f);
        int[] splitOffsets = new int[sequences];
        int totalSplits = 0;
        int maxSplits = 0;
        for (int s = 0; s < sequences; s++) {
            splitOffsets[s] = totalSplits;
            totalSplits += Kernels.decodeSplits(contexts[s]);
            maxSplits = Math.max(maxSplits, Kernels.decodeSplits(contexts[s]));
        }
        long partOut = mem.poisoned(4L * totalSplits * hq * d);
        long partMl = mem.poisoned(4L * totalSplits * hq * 2);
        long out = mem.poisoned(2L * rowsTotal * hq * d);
        long rows = mem.i32(seqRows);
        long lens = mem.i32(contexts);
        long offsets = mem.i32(splitOffsets);
        float scaleQk = (float) (1 / Math.sqrt(d));
        kernels.pagedDecode(mem.bf16(q), ctx.kCache, ctx.vCache, rows, lens, ctx.blockTables, ctx.stride, blockSize,
                hq, hkv, d, scaleQk, window, offsets, partOut, partMl, sequences, maxSplits);
        kernels.decodeReduce(partOut, partMl, rows, lens, offsets, out, sequences, hq, d);
        float[] got = mem.readBf16(out, rowsTotal * hq * d);
        int group = hq / hkv;
        for (int s = 0; s < sequences; s++) {
            for (int h = 0; h < hq; h++) {
                double[] qv = new double[d];
                int base = (seqRows[s] * hq + h) * d;
                for (int e = 0; e < d; e++) {
                    qv[e] = q[base + e];
                }
                double[] want = Reference.attend(qv, ctx.keysOf(s, h / group), ctx.valuesOf(s, h / group),
                        contexts[s], window, scaleQk);
                Reference.assertClose("decode seq " + s + " (context " + contexts[s] + ") head " + h,
                        Arrays.copyOfRange(got, base, base + d), want, 3e-3, 1e-2);
            }
        }
        assertThat(allNaN(Arrays.copyOfRange(got, sequences * hq * d, rowsTotal * hq * d)))
                .as("the row no sequence owns stays unwritten").isTrue();
    }

    @ParameterizedTest
    @CsvSource({
        "16, 4, 2, 16, 0",
        "64, 4, 2, 16, 0",
        "128, 2, 1, 16, 0",
        "32, 2, 2, 16, 0",
        "256, 2, 2, 16, 0",
        "64, 4, 4, 8, 40",
    })
    void prefillAttention_chunksWithCachedPrefix_matchReferenceCausalAttention(int d, int hq, int hkv, int blockSize,
                                                                              int window) {
        Random rnd = new Random(d * 13L + hq + window);
        int scale = contextScale();
        // (query length, context length): whole prompts, a one-token chunk, chunks after a cached prefix
        int[] qLens = {1, 5, 70, 33, 130 * scale};
        int[] contexts = {1, 5, 70, 100, 300 * scale};
        int sequences = qLens.length;
        PagedContext ctx = new PagedContext(rnd, contexts, hkv, d, blockSize);
        int[] qStart = new int[sequences];
        int rows = 0;
        for (int s = 0; s < sequences; s++) {
            qStart[s] = rows;
            rows += qLens[s];
        }
        float[] q = Reference.randomBf16(rnd, rows * hq * d, 1f);
        int bq = Kernels.prefillTileRows(d);
        List<Integer> tiles = new ArrayList<>();
        for (int s = 0; s < sequences; s++) {
            for (int q0 = 0; q0 < qLens[s]; q0 += bq) {
                tiles.add(s);
                tiles.add(q0);
            }
        }
        long out = mem.poisoned(2L * rows * hq * d);
        float scaleQk = (float) (1 / Math.sqrt(d));
        kernels.prefillAttention(mem.bf16(q), ctx.kCache, ctx.vCache,
                mem.i32(tiles.stream().mapToInt(Integer::intValue).toArray()), tiles.size() / 2, mem.i32(qStart),
                mem.i32(qLens), mem.i32(contexts), ctx.blockTables, ctx.stride, blockSize, hq, hkv, d, scaleQk,
                window, out);
        float[] got = mem.readBf16(out, rows * hq * d);
        int group = hq / hkv;
        for (int s = 0; s < sequences; s++) {
            for (int i = 0; i < qLens[s]; i++) {
                int position = contexts[s] - qLens[s] + i;
                for (int h = 0; h < hq; h++) {
                    int base = ((qStart[s] + i) * hq + h) * d;
                    double[] qv = new double[d];
                    for (int e = 0; e < d; e++) {
                        qv[e] = q[base + e];
                    }
                    double[] want = Reference.attend(qv, ctx.keysOf(s, h / group), ctx.valuesOf(s, h / group),
                            position + 1, window, scaleQk);
                    Reference.assertClose("prefill seq " + s + " query " + i + " head " + h,
                            Arrays.copyOfRange(got, base, base + d), want, 5e-3, 2e-2);
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------
    // fallback GEMM
    // ---------------------------------------------------------------------------------------------------

    @ParameterizedTest
    @CsvSource({
        "1, 70, 24, true",
        "5, 130, 64, false",
        "67, 129, 20, true",
        "64, 64, 32, false",
        "3, 200, 1000, true",
    })
    void gemm_oddShapes_matchesReference(int m, int n, int k, boolean outF32) {
        Random rnd = new Random(m * 1000L + n + k);
        float[] x = Reference.randomBf16(rnd, m * k, 1f);
        float[] w = Reference.randomBf16(rnd, n * k, 1f);
        long y = mem.poisoned((outF32 ? 4L : 2L) * m * n);
        kernels.gemm(mem.bf16(x), mem.bf16(w), y, m, n, k, outF32);
        double[] want = Reference.matmulTransposedB(x, w, m, n, k);
        float[] got = outF32 ? mem.readF32(y, m * n) : mem.readBf16(y, m * n);
        double tolerance = 1e-4 * Math.sqrt(k);
        Reference.assertClose("gemm", got, want, outF32 ? tolerance : 1e-2, outF32 ? 1e-4 : 1e-2);
    }

    // ---------------------------------------------------------------------------------------------------
    // sampling
    // ---------------------------------------------------------------------------------------------------

    /** Writes SampleParams rows (sampling.cu layout) and returns the device copy. */
    long params(float[] temperature, float[] topP, float[] minP, int[] topK, long[] seed, long[] counter,
                int[] numLogprobs) {
        int rows = temperature.length;
        MemorySegment host = arena.allocate((long) Kernels.SAMPLE_PARAMS_BYTES * rows, 8);
        for (int r = 0; r < rows; r++) {
            SamplingRows.write(host, r, temperature[r], topP[r], minP[r], topK[r], seed[r], counter[r], numLogprobs[r]);
        }
        byte[] bytes = host.toArray(ValueLayout.JAVA_BYTE);
        return mem.bytes(bytes);
    }

    private static float[] filled(int n, float v) {
        float[] a = new float[n];
        Arrays.fill(a, v);
        return a;
    }

    private static int[] filled(int n, int v) {
        int[] a = new int[n];
        Arrays.fill(a, v);
        return a;
    }

    private static long[] filled(int n, long v) {
        long[] a = new long[n];
        Arrays.fill(a, v);
        return a;
    }

    @Test
    void sample_greedyWithTies_picksLowestIdOfTheMaximum() {
        int vocab = 1237;
        float[] logits = Reference.randomBf16(new Random(5), vocab, 3f);
        logits[700] = 9f;
        logits[1200] = 9f;
        logits[42] = 8.99f;
        int[] tokens = runSampler(new float[][] {logits}, 0f, 1f, 0f, 0, 1L, 0L, -1).tokens;
        assertThat(tokens).containsExactly(700);
    }

    @Test
    void sample_topKOne_alwaysPicksTheMaximum() {
        int vocab = 999;
        Random rnd = new Random(6);
        float[][] rows = new float[8][];
        for (int r = 0; r < rows.length; r++) {
            rows[r] = Reference.randomBf16(rnd, vocab, 5f);
            rows[r][r * 101 + 7] = 6f;  // a unique maximum: bf16 inputs tie often, and top-k keeps ties
        }
        int[] tokens = runSampler(rows, 1.3f, 1f, 0f, 1, 99L, 0L, -1).tokens;
        for (int r = 0; r < rows.length; r++) {
            assertThat(tokens[r]).isEqualTo(Sampler.argmax(rows[r]));
        }
    }

    @ParameterizedTest
    @CsvSource({
        "1.0, 0, 1.0, 0.0",
        "0.7, 40, 1.0, 0.0",
        "1.0, 0, 0.9, 0.0",
        "1.3, 50, 0.8, 0.05",
        "0.5, 0, 1.0, 0.1",
    })
    void sample_seededRows_drawExactlyWhatTheCpuSamplerDraws(float temperature, int topK, float topP,
                                                                  float minP) {
        int vocab = 1537;
        Random rnd = new Random(Float.floatToIntBits(temperature) + topK);
        int rowsN = 16;
        float[][] rows = new float[rowsN][];
        long[] seeds = new long[rowsN];
        long[] counters = new long[rowsN];
        for (int r = 0; r < rowsN; r++) {
            rows[r] = Reference.randomBf16(rnd, vocab, 4f);
            seeds[r] = rnd.nextLong();
            counters[r] = r * 3L;
        }
        int[] got = runSampler(rows, filled(rowsN, temperature), filled(rowsN, topP), filled(rowsN, minP),
                filled(rowsN, topK), seeds, counters, filled(rowsN, -1)).tokens;
        for (int r = 0; r < rowsN; r++) {
            int want = Sampler.sampleAdjusted(rows[r], temperature, topK, topP, minP, seeds[r], counters[r], -1)
                    .tokenId();
            assertThat(got[r]).as("row " + r).isEqualTo(want);
        }
    }

    @Test
    void sample_manyCounters_frequenciesFollowTheSoftmax() {
        float[] logits = {0f, 1f, 2f, -1f, 0.5f, 1.5f, -3f, 0.25f};
        int draws = 1000;
        float[][] rows = new float[draws][];
        long[] counters = new long[draws];
        for (int r = 0; r < draws; r++) {
            rows[r] = logits;
            counters[r] = r;
        }
        int[] got = runSampler(rows, filled(draws, 1f), filled(draws, 1f), filled(draws, 0f), filled(draws, 0),
                filled(draws, 12345L), counters, filled(draws, -1)).tokens;
        double z = 0;
        for (float l : logits) {
            z += Math.exp(l);
        }
        int[] counts = new int[logits.length];
        for (int t : got) {
            counts[t]++;
        }
        for (int i = 0; i < logits.length; i++) {
            double p = Math.exp(logits[i]) / z;
            double sd = Math.sqrt(draws * p * (1 - p));
            assertThat(Math.abs(counts[i] - draws * p)).as("token " + i).isLessThan(5 * sd + 1);
        }
    }

    @Test
    void sample_sameSeedInAnotherBatch_drawsTheSameToken() {
        Random rnd = new Random(8);
        float[] a = Reference.randomBf16(rnd, 500, 3f);
        float[] b = Reference.randomBf16(rnd, 500, 3f);
        int alone = runSampler(new float[][] {a}, 1f, 0.95f, 0f, 0, 77L, 5L, -1).tokens[0];
        int[] batched = runSampler(new float[][] {b, a}, new float[] {0.8f, 1f}, new float[] {1f, 0.95f},
                new float[] {0f, 0f}, new int[] {10, 0}, new long[] {1L, 77L}, new long[] {9L, 5L},
                new int[] {-1, -1}).tokens;
        assertThat(batched[1]).isEqualTo(alone);
    }

    @Test
    void sample_logprobs_areLogSoftmaxWithTopAlternativesInOrder() {
        int vocab = 777;
        float[] logits = Reference.randomBf16(new Random(9), vocab, 4f);
        logits[10] = 6f;
        logits[20] = 6f;  // a tie: lower id first
        logits[30] = 5.5f;
        Sampled s = runSampler(new float[][] {logits}, filled(1, 0f), filled(1, 1f), filled(1, 0f), filled(1, 0),
                filled(1, 1L), filled(1, 0L), filled(1, 3));
        double max = 6;
        double sum = 0;
        for (float l : logits) {
            sum += Math.exp(l - max);
        }
        double lse = max + Math.log(sum);
        assertThat(s.tokens[0]).isEqualTo(10);
        assertThat((double) s.logprobs[0]).isCloseTo(6 - lse, org.assertj.core.data.Offset.offset(1e-4));
        assertThat(Arrays.copyOf(s.topIds, 3)).containsExactly(10, 20, 30);
        assertThat((double) s.topLogprobs[2]).isCloseTo(5.5 - lse, org.assertj.core.data.Offset.offset(1e-4));
    }

    @Test
    void sample_forksSharingOneLogitsRow_eachDrawsItsOwnReferenceToken() {
        int vocab = 801;
        float[] row = Reference.randomBf16(new Random(12), vocab, 3f);
        int forks = 4;
        MemorySegment host = arena.allocate((long) Kernels.SAMPLE_PARAMS_BYTES * forks, 8);
        long[] seeds = {11L, 22L, 33L, 44L};
        for (int r = 0; r < forks; r++) {
            SamplingRows.write(host, r, 0, 1.0f, 1f, 0f, 0, seeds[r], 0L, -1);
        }
        long tokens = mem.poisoned(4L * forks);
        long unused = mem.poisoned(4L * forks * 20);
        kernels.sample(mem.f32(row), vocab, mem.bytes(host.toArray(ValueLayout.JAVA_BYTE)), tokens, unused, unused,
                unused, 20, forks);
        int[] got = mem.readI32(tokens, forks);
        for (int r = 0; r < forks; r++) {
            assertThat(got[r]).as("fork " + r).isEqualTo(Sampler.sampleAdjusted(row, 1f, 0, 1f, 0f, seeds[r], 0L, -1)
                    .tokenId());
        }
    }

    @Test
    void addSparse_entries_changeOnlyThoseLogits() {
        int vocab = 300;
        float[] logits = Reference.randomBf16(new Random(10), 2 * vocab, 2f);
        long dev = mem.f32(logits);
        kernels.addSparse(dev, vocab, mem.i32(new int[] {0, 1, 1}), mem.i32(new int[] {5, 5, 299}),
                mem.f32(new float[] {1.5f, -100f, 2f}), 3);
        float[] want = logits.clone();
        want[5] += 1.5f;
        want[vocab + 5] += -100f;
        want[vocab + 299] += 2f;
        assertThat(mem.readF32(dev, 2 * vocab)).containsExactly(want);
    }

    record Sampled(int[] tokens, float[] logprobs, int[] topIds, float[] topLogprobs) {
    }

    Sampled runSampler(float[][] rows, float temperature, float topP, float minP, int topK, long seed, long counter,
                       int numLogprobs) {
        int n = rows.length;
        return runSampler(rows, filled(n, temperature), filled(n, topP), filled(n, minP), filled(n, topK),
                filled(n, seed), filled(n, counter), filled(n, numLogprobs));
    }

    Sampled runSampler(float[][] rows, float[] temperature, float[] topP, float[] minP, int[] topK, long[] seed,
                       long[] counter, int[] numLogprobs) {
        int n = rows.length;
        int vocab = rows[0].length;
        float[] flat = new float[n * vocab];
        for (int r = 0; r < n; r++) {
            System.arraycopy(rows[r], 0, flat, r * vocab, vocab);
        }
        int maxTop = 20;
        long tokens = mem.poisoned(4L * n);
        long lp = mem.poisoned(4L * n);
        long topIds = mem.poisoned(4L * n * maxTop);
        long topLp = mem.poisoned(4L * n * maxTop);
        kernels.sample(mem.f32(flat), vocab, params(temperature, topP, minP, topK, seed, counter, numLogprobs), tokens,
                lp, topIds, topLp, maxTop, n);
        return new Sampled(mem.readI32(tokens, n), mem.readF32(lp, n), mem.readI32(topIds, n * maxTop),
                mem.readF32(topLp, n * maxTop));
    }

    @Test
    void launch_unsupportedHeadDim_isRefusedBeforeLaunching() {
        assertThatThrownBy(() -> kernels.qkvPrepare(0, 0, 0, 0, 0, 0, 0, false, 0, 0, 0, 0, 1, 1, 1, 96))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("head_dim 96");
    }
}
