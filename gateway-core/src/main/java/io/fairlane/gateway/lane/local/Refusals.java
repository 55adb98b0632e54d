package io.fairlane.gateway.lane.local;

import com.fasterxml.jackson.databind.JsonNode;
import io.fairlane.gateway.http.ApiException;
import io.fairlane.gateway.openai.ChatCompletionRequest;
import io.fairlane.gateway.openai.ChatMessage;
import io.fairlane.gateway.openai.CompletionRequest;
import io.fairlane.gateway.openai.ToolDefinition;

/**
 * Parameters a local model cannot honour, refused with 400 {@code unsupported_parameter} rather than silently
 * ignored. Cheap checks on the parsed request, made on the event loop before any preparation.
 */
final class Refusals {

    private Refusals() {
    }

    static void chat(ChatCompletionRequest request, String modelId) {
        JsonNode raw = request.raw();
        if (raw.hasNonNull("audio") || raw.path("modalities").toString().contains("audio")) {
            throw ApiException.unsupported("audio", "output is not supported by local models.");
        }
        if (raw.hasNonNull("prediction")) {
            throw ApiException.unsupported("prediction", "(predicted outputs) is not supported by local models.");
        }
        if (raw.hasNonNull("web_search_options")) {
            throw ApiException.unsupported("web_search_options", "is not supported by local models.");
        }
        if (raw.hasNonNull("functions") || raw.hasNonNull("function_call")) {
            throw ApiException.unsupported("functions", "(the deprecated form of tools) is not supported by local "
                    + "models; use 'tools'.");
        }
        for (int i = 0; i < request.messages().size(); i++) {
            ChatMessage m = request.messages().get(i);
            if (m.hasNonTextParts()) {
                throw ApiException.unsupported("messages[" + i + "].content",
                        "carries images, audio or files, which model '" + modelId + "' cannot read.");
            }
        }
        for (ToolDefinition t : request.tools()) {
            if (!t.type().equals("function")) {
                throw ApiException.unsupported("tools", "of type '" + t.type() + "' are not supported by local models.");
            }
        }
    }

    static void completions(CompletionRequest request, String modelId) {
        if (request.suffix() != null) {
            throw ApiException.unsupported("suffix", "is not supported by local models (no insertion mode).");
        }
        if (request.bestOf() > request.n()) {
            throw ApiException.unsupported("best_of", "greater than n is not supported by local models.");
        }
        if (request.echo() && request.logprobs() >= 0) {
            throw ApiException.unsupported("logprobs", "together with echo is not supported by local models "
                    + "(prompt tokens are not scored).");
        }
        if (request.sampling().maxTokens().orElse(1) == 0) {
            throw ApiException.invalidRequest("max_tokens must be at least 1 on model '" + modelId + "'.",
                    "max_tokens", "integer_below_min_value");
        }
    }
}
