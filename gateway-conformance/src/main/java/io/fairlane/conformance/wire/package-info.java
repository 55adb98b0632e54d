/**
 * What travels on the wire between a client and an OpenAI-compatible server, as the harness sees it:
 * recorded exchanges, a strict server-sent-events reader that keeps every framing deviation it meets, and
 * the reassembly of a chat completion stream into per-choice content and tool calls.
 *
 * <p>The SSE reader deliberately reads streams twice over: once the way the SSE specification does (so it
 * can say where a stream deviates) and once the way line-oriented clients do (one {@code data:} line, one
 * chunk), so that a framing fault is reported by the framing check alone and does not hide every other
 * stream invariant behind it.
 */
package io.fairlane.conformance.wire;
