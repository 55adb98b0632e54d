/**
 * The HTTP API: OpenAI's {@code /v1} endpoints ({@link io.fairlane.gateway.api.OpenAiApi}), health and
 * metrics ({@link io.fairlane.gateway.api.Operations}) and the access log decorator
 * ({@link io.fairlane.gateway.api.AccessLog}).
 */
package io.fairlane.gateway.api;
