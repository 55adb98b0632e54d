/**
 * The seam between the engine loop and the hardware: an {@link io.fairlane.engine.exec.ExecutionBackend}
 * ({@link io.fairlane.engine.exec.CpuBackend} here; the CUDA backend in the {@code gateway-cuda} module, found
 * through {@link io.fairlane.engine.exec.ExecutionBackendProvider} and {@link java.util.ServiceLoader}) holds a model's
 * weights and a paged KV store, and runs one forward step for a batch of sequences
 * ({@link io.fairlane.engine.exec.BatchInput}), each with its own positions and block table, returning per
 * sequence nothing, a sampled token, a logits row or a pooled hidden state
 * ({@link io.fairlane.engine.exec.SequenceOutput}).
 *
 * <p>KV block ids are managed outside, by the KV block pool; the backend only stores and reads the blocks it is
 * told to. Sampling parameters travel with each sequence so that a GPU backend can sample on the device and send
 * back only token ids; the CPU backend samples on the host with the same algorithm
 * ({@link io.fairlane.engine.sampling.Sampler}), and so does a GPU backend for a choice under an output
 * constraint, whose automaton lives on the host.
 *
 * <p>Every backend is held to one contract, {@code BackendContract} in this module's test jar, against the CPU
 * backend as the reference.
 */
package io.fairlane.engine.exec;
