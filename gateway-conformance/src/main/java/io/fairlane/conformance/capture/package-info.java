/**
 * Recorded traffic: the capture format (one JSON object per line, credentials redacted; see
 * {@code docs/conformance.md}), its reader and writer, and the replayer that sends a capture to a
 * candidate endpoint and compares the answers field by field, ignoring ids and timestamps and comparing
 * generated text only where the request made it deterministic.
 */
package io.fairlane.conformance.capture;
