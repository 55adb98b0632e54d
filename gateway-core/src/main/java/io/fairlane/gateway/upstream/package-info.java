/**
 * Talking to upstream OpenAI-compatible servers: pooled per-event-loop connections
 * ({@link io.fairlane.gateway.upstream.UpstreamClient}), an event-stream splitter
 * ({@link io.fairlane.gateway.upstream.SseDecoder}) and the stream repairs applied on the way through
 * ({@link io.fairlane.gateway.upstream.StreamNormalizer}).
 */
package io.fairlane.gateway.upstream;
