package io.fairlane.gateway.lane.local;

import com.fasterxml.jackson.databind.JsonNode;
import io.fairlane.engine.ModelInfo;
import io.fairlane.engine.OutputConstraint;
import io.fairlane.engine.PreparedPrompt;
import io.fairlane.engine.SamplingParams;
import io.fairlane.gateway.http.ApiException;
import io.fairlane.gateway.openai.ChatCompletionRequest;
import io.fairlane.gateway.openai.SamplingOptions;
import io.fairlane.gateway.openai.ToolDefinition;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/** What the engine is asked to generate: sampling parameters with OpenAI's defaults, and the output's shape. */
final class GenerationParameters {

    private GenerationParameters() {
    }

    /**
     * Sampling parameters from the request, with OpenAI's defaults (temperature 1, top_p 1) and, when the
     * client set no limit, room up to the context length. {@code top_p: 0} means greedy.
     *
     * @param promptParam the request parameter a too-long prompt is blamed on ({@code messages}, {@code prompt})
     * @throws ApiException 400 {@code context_length_exceeded} when the prompt leaves no room to generate
     */
    static SamplingParams sampling(SamplingOptions o, boolean logprobs, int topLogprobs, PreparedPrompt prompt,
                                   ModelInfo model, String promptParam) {
        int room = model.contextLength() - prompt.length();
        if (room < 1) {
            throw new ApiException(EngineErrors.contextLength("This model's maximum context length is "
                    + model.contextLength() + " tokens. However, your " + promptParam + " resulted in "
                    + prompt.length() + " tokens. Please reduce the length of the " + promptParam + ".", promptParam));
        }
        int maxTokens = o.maxTokens().orElse(room);
        double temperature = o.temperature().orElse(1.0);
        double topP = o.topP().orElse(1.0);
        if (topP <= 0) {
            temperature = 0;
            topP = 1;
        }
        return new SamplingParams(temperature, topP, o.topK().orElse(0), o.minP().orElse(0),
                o.seed().isPresent() ? OptionalLong.of(o.seed().getAsLong()) : OptionalLong.empty(),
                o.presencePenalty().orElse(0), o.frequencyPenalty().orElse(0), o.logitBias(), logprobs, topLogprobs,
                maxTokens, o.stop(), o.ignoreEos());
    }

    /**
     * The shape the engine must constrain the output to, or null for free text. A forced tool call
     * ({@code tool_choice: "required"} or a named function) becomes one call of a declared function (the named
     * one, or for "required" one of those allowed, chosen by the model under the constraint) whose arguments
     * are a JSON object, validating against its {@code parameters} when the tool is {@code strict}
     * ({@link StructuredOutputs}); {@code response_format: json_schema} a value of that schema;
     * {@code response_format: json_object} a JSON object.
     */
    static OutputConstraint constraint(ChatCompletionRequest request) {
        String choice = request.toolChoice();
        OutputConstraint constraint = null;
        if (choice != null && choice.startsWith("function:")) {
            List<String> names = List.of(choice.substring("function:".length()));
            constraint = OutputConstraint.toolCall(names, StructuredOutputs.strictParameters(request, names));
        } else if ("required".equals(choice)) {
            List<String> names = requiredNames(request);
            constraint = OutputConstraint.toolCall(names, StructuredOutputs.strictParameters(request, names));
        } else if ("json_object".equals(request.responseFormat())) {
            constraint = OutputConstraint.jsonObject();
        } else if ("json_schema".equals(request.responseFormat())) {
            constraint = StructuredOutputs.responseFormat(request);
        }
        if (constraint != null && request.sampling().ignoreEos()) {
            throw ApiException.unsupported("ignore_eos", "cannot be combined with a forced tool call or a JSON "
                    + "response format on local models: the constrained output ends with EOS.");
        }
        return constraint;
    }

    /** The functions a "required" call may name: all tools, or those {@code allowed_tools} lists. */
    private static List<String> requiredNames(ChatCompletionRequest request) {
        List<String> names = new ArrayList<>();
        JsonNode allowed = request.raw().path("tool_choice").path("allowed_tools").path("tools");
        for (ToolDefinition t : request.tools()) {
            boolean listed = !allowed.isArray();
            for (JsonNode a : allowed) {
                listed |= t.name().equals(a.path("function").path("name").asText(null));
            }
            if (listed && !names.contains(t.name())) {
                names.add(t.name());
            }
        }
        if (names.isEmpty()) {
            throw ApiException.invalidRequest("Invalid value for 'tool_choice': 'allowed_tools' names no function "
                    + "defined in 'tools'.", "tool_choice", "invalid_value");
        }
        return names;
    }
}
