/**
 * The upstream lane: requests served by OpenAI-compatible servers.
 *
 * <p>{@link io.fairlane.gateway.lane.upstream.UpstreamBackend} queues each request in the lane's tenant
 * scheduler; once a slot is free an {@link io.fairlane.gateway.lane.upstream.UpstreamCall} drives it to its
 * last byte, trying the lane's targets in order. The call delegates each job to one piece: the forwarded body
 * ({@link io.fairlane.gateway.lane.upstream.ForwardedBody}), the stream relay with backpressure
 * ({@link io.fairlane.gateway.lane.upstream.StreamRelay}, over {@link io.fairlane.gateway.lane.upstream.SseDecoder}
 * and {@link io.fairlane.gateway.lane.upstream.StreamNormalizer}), the repair of complete answers
 * ({@link io.fairlane.gateway.lane.upstream.ResponseRepair}, over
 * {@link io.fairlane.gateway.lane.upstream.ResponseScan}),
 * the translation of upstream failures into OpenAI errors ({@link io.fairlane.gateway.lane.upstream.UpstreamErrors})
 * and the read deadline ({@link io.fairlane.gateway.lane.upstream.Deadline}). Connections are pooled per event loop
 * ({@link io.fairlane.gateway.lane.upstream.UpstreamClient}), so a request's upstream connection lives on its
 * client connection's loop and relaying never crosses threads.
 */
package io.fairlane.gateway.lane.upstream;
