/**
 * The Responses API's cost over chat completions: {@link io.fairlane.bench.responses.PairedLatency} sends the same
 * request to both endpoints of one gateway, interleaved at a fixed rate, so that whatever else the machine does
 * falls on both alike (driven by {@code bench/responses/run.sh}).
 */
package io.fairlane.bench.responses;
