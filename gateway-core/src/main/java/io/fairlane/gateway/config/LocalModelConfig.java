package io.fairlane.gateway.config;

import io.fairlane.engine.EngineConfig;
import io.fairlane.engine.Preemption;
import io.fairlane.scheduler.Policy;
import io.fairlane.scheduler.TenantSpec;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

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
 * @param reasoningEffort      the reasoning effort of requests that name none ({@code none} or {@code minimal}
 *                             switch a thinking model's thinking off through its template's {@code enable_thinking};
 *                             any other value on); empty leaves the template's own default
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
        String ownedBy,
        Optional<String> reasoningEffort) implements ModelConfig {

    /** The reasoning efforts OpenAI's API names, from none to most. */
    public static final List<String> REASONING_EFFORTS = List.of("none", "minimal", "low", "medium", "high", "xhigh");

    public LocalModelConfig {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(reasoningEffort, "reasoningEffort");
        reasoningEffort.filter(e -> !REASONING_EFFORTS.contains(e)).ifPresent(e -> {
            throw new IllegalArgumentException("reasoning effort must be one of " + REASONING_EFFORTS + ", was " + e);
        });
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(preemption, "preemption");
        Objects.requireNonNull(overlap, "overlap");
        Objects.requireNonNull(ownedBy, "ownedBy");
        devices = List.copyOf(devices);
    }

    /** Without a default reasoning effort. */
    public LocalModelConfig(String id, EngineConfig.ModelSource source, String backend, List<Integer> devices,
                            int kvBlockSize, long kvCacheBytes, double deviceMemoryFraction, int maxBatchTokens,
                            int maxRunningSequences, int cpuThreads, Policy policy, Preemption preemption,
                            EngineConfig.Overlap overlap, String ownedBy) {
        this(id, source, backend, devices, kvBlockSize, kvCacheBytes, deviceMemoryFraction, maxBatchTokens,
                maxRunningSequences, cpuThreads, policy, preemption, overlap, ownedBy, Optional.empty());
    }

    /** {@code reasoning_effort} of a {@code local} section, an error recorded in {@code n} when unknown. */
    static Optional<String> reasoningEffort(ConfigNode n) {
        Optional<String> effort = Optional.ofNullable(n.string("reasoning_effort", null));
        if (effort.isPresent() && !REASONING_EFFORTS.contains(effort.get())) {
            n.error("reasoning_effort", "expected one of " + String.join(", ", REASONING_EFFORTS) + ", was '"
                    + effort.get() + "'");
            return Optional.empty();
        }
        return effort;
    }

    /** What {@code Engines.open} needs. */
    public EngineConfig toEngineConfig(List<TenantSpec> tenants) {
        return new EngineConfig(id, source, backend, devices, kvBlockSize, kvCacheBytes, deviceMemoryFraction,
                maxBatchTokens, maxRunningSequences, cpuThreads, policy, tenants, preemption, overlap);
    }
}
