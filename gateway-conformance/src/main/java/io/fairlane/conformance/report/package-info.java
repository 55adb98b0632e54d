/**
 * Conformance reports: one record per run, written as Markdown for people (a summary table that
 * {@code docs/conformance.md} reproduces, then the evidence) and as JSON for tools.
 */
package io.fairlane.conformance.report;
