package io.fairlane.gateway.openai;

import com.code_intelligence.jazzer.junit.FuzzTest;

/** Any body for {@code POST /v1/embeddings} parses or is a 4xx. Seeds: {@code EmbeddingsRequestFuzzTestInputs}. */
class EmbeddingsRequestFuzzTest {

    @FuzzTest
    void parse_anyBody_isARequestOrA4xx(byte[] body) {
        RequestParsing.check(body, EmbeddingsRequest::parse);
    }
}
