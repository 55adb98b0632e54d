package io.fairlane.conformance.clients;

import io.fairlane.conformance.check.HarnessOptions;
import io.fairlane.conformance.stub.StubOpenAiServer;
import java.time.Duration;
import java.util.Optional;

/** The conformance kit against the reference stub: the baseline every Fairlane lane is held to. */
class StubLaneConformanceTest extends ConformanceKit {

    private StubOpenAiServer stub;

    @Override
    protected Target start() throws Exception {
        stub = StubOpenAiServer.start();
        HarnessOptions options = HarnessOptions.builder(stub.baseUrl(), StubOpenAiServer.KEY, StubOpenAiServer.CHAT_MODEL)
                .embeddingModel(StubOpenAiServer.EMBEDDING_MODEL)
                .rateLimitKey(StubOpenAiServer.RATE_LIMITED_KEY)
                .quotaKey(StubOpenAiServer.NO_QUOTA_KEY)
                .midStreamErrorModel(StubOpenAiServer.MID_STREAM_ERROR_MODEL)
                .oversizedBodyBytes(StubOpenAiServer.MAX_BODY_BYTES * 2L)
                .timeout(Duration.ofSeconds(20))
                .build();
        return new Target("stub", stub.baseUrl(), StubOpenAiServer.KEY, StubOpenAiServer.CHAT_MODEL,
                StubOpenAiServer.EMBEDDING_MODEL, options, Optional.empty());
    }

    @Override
    protected void stop() {
        stub.close();
    }
}
