/**
 * Fairlane's conformance harness: checks any OpenAI-compatible server against the wire contract
 * ({@code ./fairlane conformance}) and replays captured traffic against a candidate endpoint
 * ({@code ./fairlane conformance replay}). {@link io.fairlane.conformance.Main} is the entry point.
 */
package io.fairlane.conformance;
