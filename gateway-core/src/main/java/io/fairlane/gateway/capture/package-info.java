/**
 * Traffic capture: the exchanges of tenants that opted in ({@code capture: true}) are appended to a JSON
 * Lines file in the {@code fairlane-capture} format (version 1, described in {@code docs/conformance.md}),
 * which {@code ./fairlane conformance replay} sends to another server and compares field by field.
 *
 * <p>Off by default: nothing is recorded unless a tenant opts in and {@code capture.file} is set.
 * Credentials are redacted before a record leaves the event loop ({@link Redaction}); a record is written
 * by one background thread, so a slow disk never stalls a request, and a full queue drops records (logged)
 * rather than buffering without bound.
 */
package io.fairlane.gateway.capture;
