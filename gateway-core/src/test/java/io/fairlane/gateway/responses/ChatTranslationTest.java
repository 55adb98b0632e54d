package io.fairlane.gateway.responses;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.gateway.http.ApiError;
import io.fairlane.gateway.http.Json;
import io.fairlane.gateway.openai.ChatCompletionRequest;
import io.fairlane.gateway.openai.ResponsesRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** A Responses request as the chat request that serves it, and chat's errors named as the Responses API names them. */
class ChatTranslationTest {

    private static ObjectNode chat(String responses, boolean local) throws Exception {
        ResponsesRequest r = ResponsesRequest.parse((ObjectNode) Json.MAPPER.readTree(responses));
        ObjectNode body = ChatTranslation.body(r, Conversation.of(r, null).items(), local);
        ChatCompletionRequest.parse(body.deepCopy()); // what the chat path would refuse, the translation never makes
        return body;
    }

    @ParameterizedTest
    @CsvSource({
        "messages, input",
        "'messages[3].content', input",
        "response_format, text.format",
        "response_format.json_schema.schema, text.format.schema",
        "'tools[2].function.parameters', 'tools[2].parameters'",
        "max_completion_tokens, max_output_tokens",
        "reasoning_effort, reasoning.effort",
        "temperature, temperature",
    })
    void param_chatsName_isTheResponsesName(String chat, String responses) {
        assertThat(ChatTranslation.param(chat)).isEqualTo(responses);
    }

    @Test
    void responsesError_renamesTheParameterInTheMessageToo() {
        ApiError e = ChatTranslation.responsesError(new ApiError(400, "Invalid schema for response_format 'x': bad",
                "invalid_request_error", "response_format.json_schema.schema", null));

        assertThat(e.param()).isEqualTo("text.format.schema");
        assertThat(e.message()).isEqualTo("Invalid schema for text.format 'x': bad");
    }

    @Test
    void body_reasoningItem_isPassedToALocalTemplateAndDroppedForAnUpstream() throws Exception {
        String request = """
                {"model":"m","input":[{"role":"user","content":"q"},
                  {"type":"reasoning","summary":[],"content":[{"type":"reasoning_text","text":"hmm"}]},
                  {"role":"assistant","content":"a"},{"role":"user","content":"q2"}]}""";

        JsonNode local = chat(request, true).at("/messages/1");
        JsonNode upstream = chat(request, false).at("/messages/1");

        assertThat(local.path("reasoning_content").asText()).isEqualTo("hmm");
        assertThat(upstream.has("reasoning_content")).isFalse();
        assertThat(upstream.path("content").asText()).isEqualTo("a");
    }

    @Test
    void body_assistantTextThenCalls_isOneAssistantMessage() throws Exception {
        ObjectNode body = chat("""
                {"model":"m","input":[{"role":"user","content":"q"},{"role":"assistant","content":"let me look"},
                  {"type":"function_call","call_id":"c1","name":"f","arguments":"{}"},
                  {"type":"function_call","call_id":"c2","name":"f","arguments":"{}"},
                  {"type":"function_call_output","call_id":"c1","output":"1"},
                  {"type":"function_call_output","call_id":"c2","output":"2"}]}""", false);

        JsonNode messages = body.path("messages");
        assertThat(messages).hasSize(4);
        assertThat(messages.at("/1/content").asText()).isEqualTo("let me look");
        assertThat(messages.at("/1/tool_calls")).hasSize(2);
        assertThat(messages.at("/3/tool_call_id").asText()).isEqualTo("c2");
    }

    @Test
    void body_imageInput_becomesAnImageUrlPart() throws Exception {
        ObjectNode body = chat("""
                {"model":"m","input":[{"role":"user","content":[{"type":"input_text","text":"what is it"},
                  {"type":"input_image","image_url":"https://example.com/a.png","detail":"low"}]}]}""", false);

        assertThat(body.at("/messages/0/content/1/type").asText()).isEqualTo("image_url");
        assertThat(body.at("/messages/0/content/1/image_url/url").asText()).isEqualTo("https://example.com/a.png");
    }

    @Test
    void body_allowedTools_becomeChatsAllowedTools() throws Exception {
        ObjectNode body = chat("""
                {"model":"m","input":"q","tools":[{"type":"function","name":"f"},{"type":"function","name":"g"}],
                 "tool_choice":{"type":"allowed_tools","mode":"required","tools":[{"type":"function","name":"g"}]}}""",
                false);

        assertThat(body.at("/tool_choice/type").asText()).isEqualTo("allowed_tools");
        assertThat(body.at("/tool_choice/allowed_tools/mode").asText()).isEqualTo("required");
        assertThat(body.at("/tool_choice/allowed_tools/tools/0/function/name").asText()).isEqualTo("g");
    }
}
