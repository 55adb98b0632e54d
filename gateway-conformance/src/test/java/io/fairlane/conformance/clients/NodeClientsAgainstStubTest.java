package io.fairlane.conformance.clients;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.conformance.stub.StubOpenAiServer;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The JavaScript clients users run (the openai SDK; the Vercel AI SDK through @ai-sdk/openai-compatible and
 * through @ai-sdk/openai's openai.chat()) complete chat, streamed chat, tools in both modes, and embeddings
 * against the reference stub. The same script runs against Fairlane once the gateway lands.
 */
class NodeClientsAgainstStubTest {

    private static StubOpenAiServer stub;
    private static List<NodeClients.Result> results;

    @BeforeAll
    static void runClients() throws Exception {
        stub = StubOpenAiServer.start();
        results = NodeClients.run(stub.baseUrl(), StubOpenAiServer.KEY, StubOpenAiServer.CHAT_MODEL,
                StubOpenAiServer.EMBEDDING_MODEL);
    }

    @AfterAll
    static void stop() {
        if (stub != null) {
            stub.close();
        }
    }

    @Test
    void run_everyClient_passesEveryScenario() {
        assertThat(results).allSatisfy(r -> assertThat(r.status()).as(r.client() + " " + r.scenario() + ": "
                + r.detail()).isEqualTo("pass"));
    }

    @Test
    void run_threeClients_eachRunFiveScenarios() {
        assertThat(results).hasSize(15);
    }

    @Test
    void run_againstStubSharingOneToolIndex_failsTheStreamedToolScenarios() throws Exception {
        try (StubOpenAiServer broken = StubOpenAiServer.start(io.fairlane.conformance.stub.Breakage.TOOL_INDEXES_ALL_ZERO)) {
            List<NodeClients.Result> brokenResults = NodeClients.run(broken.baseUrl(), StubOpenAiServer.KEY,
                    StubOpenAiServer.CHAT_MODEL, StubOpenAiServer.EMBEDDING_MODEL);

            assertThat(brokenResults).filteredOn(r -> r.scenario().equals("toolsStream"))
                    .anySatisfy(r -> assertThat(r.status()).isEqualTo("fail"));
        }
    }
}
