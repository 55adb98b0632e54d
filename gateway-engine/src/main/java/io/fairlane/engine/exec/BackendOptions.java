package io.fairlane.engine.exec;

import io.fairlane.engine.EngineConfig;
import java.util.List;

/**
 * What a backend is opened with.
 *
 * @param kvBlockSize          token positions per KV block (the block pool uses the same)
 * @param kvCacheBytes         bytes for the paged KV store; 0 lets the backend choose (CPU: a share of physical
 *                             memory; CUDA: the free device memory left after weights and activations)
 * @param threads              CPU worker threads; 0 means all available processors
 * @param devices              CUDA device ordinals (the CPU backend ignores them)
 * @param deviceMemoryFraction share of free device memory a CUDA backend may take
 * @param maxBatchTokens       most tokens one step carries (sizes activation buffers)
 * @param maxSequences         most sequences one step carries
 */
public record BackendOptions(int kvBlockSize, long kvCacheBytes, int threads, List<Integer> devices,
                             double deviceMemoryFraction, int maxBatchTokens, int maxSequences) {

    public BackendOptions {
        devices = List.copyOf(devices);
        if (kvBlockSize <= 0 || kvCacheBytes < 0 || threads < 0 || maxBatchTokens <= 0 || maxSequences <= 0
                || !(deviceMemoryFraction > 0 && deviceMemoryFraction <= 1)) {
            throw new IllegalArgumentException("invalid backend options: blockSize=" + kvBlockSize + " kvBytes="
                    + kvCacheBytes + " threads=" + threads + " fraction=" + deviceMemoryFraction + " maxTokens="
                    + maxBatchTokens + " maxSequences=" + maxSequences);
        }
    }

    /** The backend part of an engine configuration. */
    public static BackendOptions from(EngineConfig config) {
        return new BackendOptions(config.kvBlockSize(), config.kvCacheBytes(), config.cpuThreads(), config.devices(),
                config.deviceMemoryFraction(), config.maxBatchTokens(), config.maxRunningSequences());
    }

    /** CPU defaults for tests and tools: block size 16, {@code kvCacheBytes} of KV, all cores. */
    public static BackendOptions cpu(long kvCacheBytes) {
        return new BackendOptions(16, kvCacheBytes, 0, List.of(), 0.9, 8192, 256);
    }

    /** The same options with another thread count. */
    public BackendOptions withThreads(int threads) {
        return new BackendOptions(kvBlockSize, kvCacheBytes, threads, devices, deviceMemoryFraction, maxBatchTokens,
                maxSequences);
    }

    /** The same options with another block size. */
    public BackendOptions withBlockSize(int blockSize) {
        return new BackendOptions(blockSize, kvCacheBytes, threads, devices, deviceMemoryFraction, maxBatchTokens,
                maxSequences);
    }
}
