package io.fairlane.conformance.clients;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionMessageToolCall;
import io.fairlane.conformance.stub.StubOpenAiServer;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** OpenAI's Java SDK, strictly validating, completes every scenario against the reference stub. */
class OpenAiJavaAgainstStubTest {

    private static StubOpenAiServer stub;
    private static OpenAiJavaScenarios client;

    @BeforeAll
    static void start() throws Exception {
        stub = StubOpenAiServer.start();
        client = new OpenAiJavaScenarios(stub.baseUrl(), StubOpenAiServer.KEY, StubOpenAiServer.CHAT_MODEL,
                StubOpenAiServer.EMBEDDING_MODEL);
    }

    @AfterAll
    static void stop() {
        client.close();
        stub.close();
    }

    @Test
    void chat_strictClient_readsTheText() {
        assertThat(client.chat()).isNotBlank();
    }

    @Test
    void stream_strictClient_accumulatesTextAndUsage() {
        ChatCompletion completion = client.stream();

        assertThat(completion.choices().getFirst().message().content()).hasValueSatisfying(t -> assertThat(t).isNotBlank());
        assertThat(completion.usage()).isPresent();
    }

    @Test
    void tools_strictClient_readsCallsWithJsonArguments() throws Exception {
        ChatCompletion completion = client.tools();
        List<ChatCompletionMessageToolCall> calls = completion.choices().getFirst().message().toolCalls().orElseThrow();

        assertThat(calls).isNotEmpty();
        for (ChatCompletionMessageToolCall call : calls) {
            assertThat(new ObjectMapper().readTree(call.asFunction().function().arguments()).isObject()).isTrue();
        }
    }

    @Test
    void toolsStream_strictClient_reassemblesEveryCall() throws Exception {
        List<ChatCompletionMessageToolCall> calls = client.toolsStream();

        assertThat(calls).hasSize(2).allSatisfy(call -> assertThat(call.asFunction().function().name())
                .isEqualTo("get_weather"));
    }

    @Test
    void embeddings_strictClient_decodesTwoVectors() {
        assertThat(client.embeddings().data()).hasSize(2)
                .allSatisfy(e -> assertThat(e.embedding()).hasSize(StubOpenAiServer.DIMENSIONS));
    }

    @Test
    void chat_strictClientAgainstAStringTimestamp_throws() throws Exception {
        try (StubOpenAiServer broken = StubOpenAiServer.start(io.fairlane.conformance.stub.Breakage.SCHEMA_CREATED_STRING);
                OpenAiJavaScenarios strict = new OpenAiJavaScenarios(broken.baseUrl(), StubOpenAiServer.KEY,
                        StubOpenAiServer.CHAT_MODEL, StubOpenAiServer.EMBEDDING_MODEL)) {
            org.assertj.core.api.Assertions.assertThatThrownBy(strict::chat)
                    .isInstanceOf(com.openai.errors.OpenAIInvalidDataException.class);
        }
    }
}
