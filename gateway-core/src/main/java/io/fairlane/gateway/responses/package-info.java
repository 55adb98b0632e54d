/**
 * OpenAI's Responses API, {@code /v1/responses}, on every lane.
 *
 * <p>A create request ({@link io.fairlane.gateway.responses.ResponsesApi}) is served by the chat completions path
 * itself, so that scheduling, metering, per-tenant metrics, SLOs, idempotency and capture treat it exactly as a chat
 * completion: {@link io.fairlane.gateway.responses.ChatTranslation} turns the request (and the conversation a
 * {@code previous_response_id} continues, {@link io.fairlane.gateway.responses.Conversation}) into a chat request,
 * and a {@link io.fairlane.gateway.http.ResponseFilter} on the exchange,
 * {@link io.fairlane.gateway.responses.ChatAsResponses}, turns the chat completion back into a Responses object or
 * event stream as it goes out. An upstream that speaks the Responses API itself gets the request as it came
 * ({@link io.fairlane.gateway.responses.UpstreamResponses} normalises its stream).
 *
 * <p>Responses are stored per tenant ({@link io.fairlane.gateway.responses.ResponseStore}: in memory, or in the
 * durable store when the configuration names one), bounded by count and bytes, for a time to live; another tenant's
 * id is never found.
 */
package io.fairlane.gateway.responses;
