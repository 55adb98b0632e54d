package io.fairlane.gateway.config;

import io.fairlane.engine.EngineConfig;
import io.fairlane.engine.Preemption;
import io.fairlane.scheduler.Policy;
import io.fairlane.scheduler.TenantSpec;
import java.util.List;
import java.util.Objects;

/**
 * A model served by Fairlane's own engine.
 *
 * @param id                   served name
 * @param source               weights directory or synthetic spec
 * @param backend              {@code cpu}, {@code cuda} or {@code auto}
 * @param devices              CUDA device ordinals
 * @param kvBlockSize          tokens per KV block
 * @param kvCacheBytes         KV pool size; 0 sizes it from free memory
 * @param deviceMemoryFraction share of device memory the engine may take
 * @param maxBatchTokens       per-step token budget
 * @param maxRunningSequences  most sequences in a batch
 * @param cpuThreads           CPU backend threads; 0 = all cores
 * @param policy               tenant scheduling policy of the engine's waiting queue
 * @param preemption           whether running sequences are preempted for a tenant under its fair share
 * @param overlap              whether the engine loop overlaps host work with the device's steps
 * @param ownedBy              {@code owned_by} in the model list
 */
public record LocalModelConfig(
        String id,
        EngineConfig.ModelSource source,
        String backend,
        List<Integer> devices,
        int kvBlockSize,
        long kvCacheBytes,
        double deviceMemoryFraction,
        int maxBatchTokens,
        int maxRunningSequences,
        int cpuThreads,
        Policy policy,
        Preemption preemption,
        EngineConfig.Overlap overlap,
        String ownedBy) implements ModelConfig {

    public LocalModelConfig {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(preemption, "preemption");
        Objects.requireNonNull(overlap, "overlap");
        Objects.requireNonNull(ownedBy, "ownedBy");
        devices = List.copyOf(devices);
    }

    /** What {@code Engines.open} needs. */
    public EngineConfig toEngineConfig(List<TenantSpec> tenants) {
        return new EngineConfig(id, source, backend, devices, kvBlockSize, kvCacheBytes, deviceMemoryFraction,
                maxBatchTokens, maxRunningSequences, cpuThreads, policy, tenants, preemption, overlap);
    }
}
