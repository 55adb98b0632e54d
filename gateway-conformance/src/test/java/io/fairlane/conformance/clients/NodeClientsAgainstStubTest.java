package io.fairlane.conformance.clients;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.conformance.stub.Breakage;
import io.fairlane.conformance.stub.StubOpenAiServer;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The JavaScript client script can fail: against a stub that puts two parallel tool calls at one index, the
 * streamed tool scenarios break; told to expect refused tool calls, a server that makes them fails the tool
 * scenarios. (Its passing runs are part of each lane's {@link ConformanceKit}.)
 */
class NodeClientsAgainstStubTest {

    @Test
    void run_againstStubSharingOneToolIndex_failsTheStreamedToolScenarios() throws Exception {
        try (StubOpenAiServer broken = StubOpenAiServer.start(Breakage.TOOL_INDEXES_ALL_ZERO)) {
            List<NodeClients.Result> brokenResults = NodeClients.run(broken.baseUrl(), StubOpenAiServer.KEY,
                    StubOpenAiServer.CHAT_MODEL, StubOpenAiServer.EMBEDDING_MODEL, false);

            assertThat(brokenResults).filteredOn(r -> r.scenario().equals("toolsStream"))
                    .anySatisfy(r -> assertThat(r.status()).isEqualTo("fail"));
        }
    }

    @Test
    void run_expectingRefusedToolCallsFromAServerThatMakesThem_failsTheToolScenarios() throws Exception {
        try (StubOpenAiServer stub = StubOpenAiServer.start()) {
            List<NodeClients.Result> results = NodeClients.run(stub.baseUrl(), StubOpenAiServer.KEY,
                    StubOpenAiServer.CHAT_MODEL, StubOpenAiServer.EMBEDDING_MODEL, true);

            assertThat(results).filteredOn(r -> r.scenario().startsWith("tools"))
                    .allSatisfy(r -> assertThat(r.status()).isEqualTo("fail"));
        }
    }
}
