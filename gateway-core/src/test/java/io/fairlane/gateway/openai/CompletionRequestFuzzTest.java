package io.fairlane.gateway.openai;

import com.code_intelligence.jazzer.junit.FuzzTest;

/** Any body for {@code POST /v1/completions} parses or is a 4xx. Seeds: {@code CompletionRequestFuzzTestInputs}. */
class CompletionRequestFuzzTest {

    @FuzzTest
    void parse_anyBody_isARequestOrA4xx(byte[] body) {
        RequestParsing.check(body, CompletionRequest::parse);
    }
}
