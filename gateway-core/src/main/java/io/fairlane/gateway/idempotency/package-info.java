/**
 * {@code Idempotency-Key}: a client that retries a request it is unsure about (a timeout, a dropped
 * connection) gets the response the first attempt produced instead of a second generation. Per tenant,
 * within a window, in bounded memory: {@link IdempotencyStore} remembers keys and responses,
 * {@link IdempotentRequests} is the decorator that consults it around the {@code /v1} POST endpoints.
 *
 * <p>Rules (after Stripe's, which OpenAI-compatible clients that send the header expect): the same key with
 * the same request returns the stored response, or waits for the attempt in flight; the same key with
 * another request is a 400 (never a 409, which OpenAI's SDKs retry); only a complete 2xx response is
 * stored, so a failed attempt can be retried with the same key.
 */
package io.fairlane.gateway.idempotency;
