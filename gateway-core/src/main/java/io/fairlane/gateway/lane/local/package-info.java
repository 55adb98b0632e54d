/**
 * The local lane: requests served by Fairlane's own engine ({@link io.fairlane.engine.InferenceEngine}).
 *
 * <p>{@link io.fairlane.gateway.lane.local.LocalEngineBackend} checks what a local model can honour, turns the
 * request into the engine's prompt and sampling parameters and submits it, off the event loop, on the gateway's
 * preparation pool; {@link io.fairlane.gateway.lane.local.LocalChatRun} and
 * {@link io.fairlane.gateway.lane.local.LocalCompletionRun} turn the engine's token events back into OpenAI's
 * JSON or chunk stream on the client's event loop. The pieces they share: tool-call parsing
 * ({@link io.fairlane.gateway.lane.local.ToolCallParser}, {@link io.fairlane.gateway.lane.local.ForcedToolCall}),
 * log probabilities ({@link io.fairlane.gateway.lane.local.Logprobs}), slow-client protection
 * ({@link io.fairlane.gateway.lane.local.SlowClientGuard}) and the mapping of engine errors to OpenAI errors
 * ({@link io.fairlane.gateway.lane.local.EngineErrors}), done here so that no engine type reaches the HTTP layer.
 */
package io.fairlane.gateway.lane.local;
