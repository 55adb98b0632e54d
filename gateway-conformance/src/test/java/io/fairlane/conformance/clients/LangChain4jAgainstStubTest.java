package io.fairlane.conformance.clients;

import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import io.fairlane.conformance.stub.StubOpenAiServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** LangChain4j's OpenAI module completes every scenario against the reference stub. */
class LangChain4jAgainstStubTest {

    private static StubOpenAiServer stub;
    private static LangChain4jScenarios client;

    @BeforeAll
    static void start() throws Exception {
        stub = StubOpenAiServer.start();
        client = new LangChain4jScenarios(stub.baseUrl(), StubOpenAiServer.KEY, StubOpenAiServer.CHAT_MODEL,
                StubOpenAiServer.EMBEDDING_MODEL);
    }

    @AfterAll
    static void stop() {
        stub.close();
    }

    @Test
    void chat_langChain4j_readsTheText() {
        assertThat(client.chat().aiMessage().text()).isNotBlank();
    }

    @Test
    void stream_langChain4j_assemblesTheText() throws Exception {
        ChatResponse response = client.stream();

        assertThat(response.aiMessage().text()).isNotBlank();
        assertThat(response.tokenUsage().totalTokenCount()).isPositive();
    }

    @Test
    void tools_langChain4j_readsCallsAndFinishReason() {
        ChatResponse response = client.tools();

        assertThat(response.aiMessage().toolExecutionRequests()).extracting(ToolExecutionRequest::name)
                .containsOnly("get_weather");
        assertThat(response.finishReason()).isEqualTo(FinishReason.TOOL_EXECUTION);
    }

    @Test
    void toolsStream_langChain4j_reassemblesBothCalls() throws Exception {
        ChatResponse response = client.toolsStream();

        assertThat(response.aiMessage().toolExecutionRequests()).hasSize(2)
                .allSatisfy(r -> assertThat(r.arguments()).startsWith("{").endsWith("}"));
    }

    @Test
    void embeddings_langChain4j_readsTwoVectors() {
        assertThat(client.embeddings()).hasSize(2)
                .allSatisfy(e -> assertThat(e.vector()).hasSize(StubOpenAiServer.DIMENSIONS));
    }

    @Test
    void toolsStream_againstStubSharingOneToolIndex_losesACall() throws Exception {
        try (StubOpenAiServer broken = StubOpenAiServer.start(io.fairlane.conformance.stub.Breakage.TOOL_INDEXES_ALL_ZERO)) {
            LangChain4jScenarios confused = new LangChain4jScenarios(broken.baseUrl(), StubOpenAiServer.KEY,
                    StubOpenAiServer.CHAT_MODEL, StubOpenAiServer.EMBEDDING_MODEL);

            assertThat(confused.toolsStream().aiMessage().toolExecutionRequests()).hasSizeLessThan(2);
        }
    }
}
