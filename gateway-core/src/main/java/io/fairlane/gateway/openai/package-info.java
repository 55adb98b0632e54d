/**
 * The OpenAI wire format: request records validated against OpenAI's schemas with OpenAI's error codes
 * ({@link io.fairlane.gateway.openai.ChatCompletionRequest}, {@link io.fairlane.gateway.openai.CompletionRequest},
 * {@link io.fairlane.gateway.openai.EmbeddingsRequest}), usage objects and service tiers.
 */
package io.fairlane.gateway.openai;
