/**
 * Event loops do I/O only: a light client's latency while another client sends 1.5 MB prompts
 * ({@code bench/eventloop/run.sh}), and what parsing and preparing a chat costs by body size against a hand-over to
 * another thread ({@link io.fairlane.bench.eventloop.InlineCost}, the reason for the preparation pool's inline
 * limits).
 */
package io.fairlane.bench.eventloop;
