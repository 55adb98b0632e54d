package io.fairlane.gateway.lane.local;

import com.fasterxml.jackson.databind.JsonNode;
import io.fairlane.engine.EngineException;
import io.fairlane.engine.OutputConstraint;
import io.fairlane.engine.grammar.Grammars;
import io.fairlane.engine.grammar.SchemaException;
import io.fairlane.gateway.http.ApiError;
import io.fairlane.gateway.http.ApiException;
import io.fairlane.gateway.http.Json;
import io.fairlane.gateway.openai.ChatCompletionRequest;
import io.fairlane.gateway.openai.ToolDefinition;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON-Schema structured outputs on a local model: what of a chat request the engine's grammars must enforce,
 * and the engine's refusal of a schema as the 400 a client can act on.
 *
 * <ul>
 *   <li>{@code response_format: {type: "json_schema", json_schema: {name, schema, strict}}} becomes an
 *       {@link OutputConstraint.JsonSchema}; strict and non-strict schemas are both enforced, strict ones with
 *       OpenAI's strict-mode rules on top.</li>
 *   <li>A forced call ({@code tool_choice: "required"} or a named function) of tools declared with
 *       {@code strict: true} gets arguments that validate against their {@code parameters}.</li>
 *   <li>Strict tools the model may call or not ({@code tool_choice: "auto"}) are not constrained (the engine has no
 *       grammar for "text or a call"), but their schemas are compiled all the same, so a schema the grammar cannot
 *       enforce is refused whatever {@code tool_choice} says.</li>
 * </ul>
 *
 * <p>A refusal names the schema in {@code param} ({@code response_format.json_schema.schema},
 * {@code tools[i].function.parameters}) and the keyword and its JSON pointer in the message. Stateless.
 */
final class StructuredOutputs {

    private StructuredOutputs() {
    }

    /** The schema constraint of {@code response_format: json_schema}. */
    static OutputConstraint.JsonSchema responseFormat(ChatCompletionRequest request) {
        JsonNode js = request.raw().path("response_format").path("json_schema");
        JsonNode schema = js.get("schema");
        return new OutputConstraint.JsonSchema(js.path("name").asText(), schema == null || schema.isNull() ? "{}"
                : Json.toString(schema), js.path("strict").asBoolean(false));
    }

    /** The parameter schemas of the strict tools among {@code names}, by function name. */
    static Map<String, OutputConstraint.JsonSchema> strictParameters(ChatCompletionRequest request, List<String> names) {
        Map<String, OutputConstraint.JsonSchema> out = new LinkedHashMap<>();
        for (ToolDefinition t : request.tools()) {
            if (names.contains(t.name()) && strict(t) && !out.containsKey(t.name())) {
                out.put(t.name(), new OutputConstraint.JsonSchema(t.name(), schemaText(t), true));
            }
        }
        return out;
    }

    /**
     * Compiles the schemas of strict tools that {@code constraint} does not enforce (into the engine's grammar
     * cache, so a later forced call of the same tools costs nothing), refusing one the grammar cannot enforce. Work
     * that grows with the schemas: call it where the prompt is prepared.
     */
    static void checkUnforcedStrictTools(ChatCompletionRequest request, OutputConstraint constraint) {
        if (constraint instanceof OutputConstraint.ToolCall) {
            return; // the engine compiles those it enforces, and refuses through submission
        }
        List<ToolDefinition> tools = request.tools();
        for (int i = 0; i < tools.size(); i++) {
            ToolDefinition t = tools.get(i);
            if (!strict(t)) {
                continue;
            }
            try {
                Grammars.compile(new OutputConstraint.JsonSchema(t.name(), schemaText(t), true));
            } catch (SchemaException e) {
                throw new ApiException(toolSchemaError(i, t.name(), e.getMessage()));
            }
        }
    }

    /**
     * The engine's refusal of a request as the client gets it: a schema it cannot enforce points at that schema;
     * anything else is mapped as usual.
     */
    static ApiException refusal(EngineException e, ChatCompletionRequest request) {
        if (!(e.getCause() instanceof SchemaException schema)) {
            return EngineErrors.toApi(e);
        }
        if ("response_format".equals(e.param())) {
            String name = request.raw().path("response_format").path("json_schema").path("name").asText();
            return new ApiException(new ApiError(400, "Invalid schema for response_format '" + name + "': "
                    + schema.getMessage(), "invalid_request_error", "response_format.json_schema.schema", null));
        }
        String message = schema.getMessage();
        List<ToolDefinition> tools = request.tools();
        for (int i = 0; i < tools.size(); i++) {
            String prefix = "function '" + tools.get(i).name() + "': ";
            if (message.startsWith(prefix)) {
                return new ApiException(toolSchemaError(i, tools.get(i).name(), message.substring(prefix.length())));
            }
        }
        return new ApiException(new ApiError(400, "Invalid schema in tools: " + message, "invalid_request_error",
                "tools", null));
    }

    private static ApiError toolSchemaError(int index, String name, String reason) {
        return new ApiError(400, "Invalid schema for function '" + name + "': " + reason, "invalid_request_error",
                "tools[" + index + "].function.parameters", null);
    }

    static boolean strict(ToolDefinition t) {
        return "function".equals(t.type()) && t.raw().path("function").path("strict").asBoolean(false);
    }

    /** A tool's parameters schema as text; a function without one takes no arguments but an empty object. */
    private static String schemaText(ToolDefinition t) {
        return t.parameters() == null ? "{\"type\":\"object\",\"properties\":{},\"additionalProperties\":false}"
                : Json.toString(t.parameters());
    }
}
