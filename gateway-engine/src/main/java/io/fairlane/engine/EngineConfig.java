package io.fairlane.engine;

import io.fairlane.scheduler.Policy;
import io.fairlane.scheduler.TenantSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Everything needed to open a local engine: which model, on which backend, with how much KV cache, and
 * how its waiting queue shares capacity among tenants.
 *
 * @param modelId             the served model name
 * @param source              where the weights come from
 * @param backend             {@code cpu}, {@code cuda} or {@code auto} (CUDA when a device is usable, else
 *                            CPU; the choice and its reason are logged)
 * @param devices             CUDA device ordinals (ignored on the CPU)
 * @param kvBlockSize         tokens per KV block (16 by default)
 * @param kvCacheBytes        bytes for the KV block pool; 0 means "size from free memory"
 * @param deviceMemoryFraction share of free device memory the engine may take for weights and KV (CUDA)
 * @param maxBatchTokens      per-step token budget (decodes plus prefill chunks)
 * @param maxRunningSequences most sequences in the running batch
 * @param cpuThreads          worker threads of the CPU backend; 0 means all cores
 * @param policy              the tenant scheduling policy of the waiting queue
 * @param tenants             tenants known at start
 * @param preemption          whether running sequences are preempted for a tenant under its fair share
 * @param overlap             whether the engine loop prepares the next step while the device runs the current one
 *                            ({@link Overlap#AUTO}: where the backend feeds sampled tokens on the device)
 */
public record EngineConfig(
        String modelId,
        ModelSource source,
        String backend,
        List<Integer> devices,
        int kvBlockSize,
        long kvCacheBytes,
        double deviceMemoryFraction,
        int maxBatchTokens,
        int maxRunningSequences,
        int cpuThreads,
        Policy policy,
        List<TenantSpec> tenants,
        Preemption preemption,
        Overlap overlap) {

    public EngineConfig {
        Objects.requireNonNull(modelId, "modelId");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(preemption, "preemption");
        Objects.requireNonNull(overlap, "overlap");
        devices = List.copyOf(devices);
        tenants = List.copyOf(tenants);
        if (!List.of("cpu", "cuda", "auto").contains(backend)) {
            throw new IllegalArgumentException("backend must be cpu, cuda or auto, was " + backend);
        }
        if (kvBlockSize <= 0 || maxBatchTokens <= 0 || maxRunningSequences <= 0 || kvCacheBytes < 0
                || cpuThreads < 0 || !(deviceMemoryFraction > 0 && deviceMemoryFraction <= 1)) {
            throw new IllegalArgumentException("invalid engine limits for model " + modelId);
        }
    }

    /** The policy's default preemption ({@link Preemption#defaultFor}) and overlap where the backend allows it. */
    public EngineConfig(String modelId, ModelSource source, String backend, List<Integer> devices, int kvBlockSize,
                        long kvCacheBytes, double deviceMemoryFraction, int maxBatchTokens, int maxRunningSequences,
                        int cpuThreads, Policy policy, List<TenantSpec> tenants) {
        this(modelId, source, backend, devices, kvBlockSize, kvCacheBytes, deviceMemoryFraction, maxBatchTokens,
                maxRunningSequences, cpuThreads, policy, tenants, Preemption.defaultFor(policy), Overlap.AUTO);
    }

    /**
     * Whether the engine loop overlaps its host work (planning the next step, detokenising, emitting) with the
     * device's forward step.
     */
    public enum Overlap {
        /** On where the backend can queue a step whose tokens are sampled by the one before, on the device (CUDA). */
        AUTO,
        /** Off: plan, run and take in one step at a time (what a backend without device-side feedback always does). */
        OFF
    }

    /** Where a model's weights and tokenizer come from. */
    public sealed interface ModelSource {

        /** A Hugging Face model directory (config.json, *.safetensors, tokenizer.json, tokenizer_config.json). */
        record Directory(Path path) implements ModelSource {
            public Directory {
                Objects.requireNonNull(path, "path");
            }
        }

        /**
         * A random-weight model of a named shape, written once into {@code cacheDir} and reused after.
         *
         * @param shape    a shape name ({@code tiny}, {@code llama-110m}, ...)
         * @param dtype    {@code bf16} or {@code f32}
         * @param seed     weight seed
         * @param cacheDir where the model directory is materialised
         */
        record Synthetic(String shape, String dtype, long seed, Path cacheDir) implements ModelSource {
            public Synthetic {
                Objects.requireNonNull(shape, "shape");
                Objects.requireNonNull(dtype, "dtype");
                Objects.requireNonNull(cacheDir, "cacheDir");
            }
        }
    }
}
