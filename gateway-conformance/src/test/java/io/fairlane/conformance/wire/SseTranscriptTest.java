package io.fairlane.conformance.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SseTranscriptTest {

    private static SseTranscript parse(String body) {
        return SseTranscript.parse(body.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void parse_wellFramedStream_findsNoProblem() {
        SseTranscript sse = parse("data: {\"a\":1}\n\n: keep-alive\n\ndata: [DONE]\n\n");

        assertThat(sse.framingProblems()).isEmpty();
    }

    @Test
    void parse_crlfLineEndings_areAcceptedLikeLf() {
        SseTranscript sse = parse("data: {\"a\":1}\r\n\r\ndata: [DONE]\r\n\r\n");

        assertThat(sse.framingProblems()).isEmpty();
    }

    @Test
    void parse_eventsWithoutBlankLines_reportsTheMissingSeparation() {
        SseTranscript sse = parse("data: {\"a\":1}\ndata: {\"a\":2}\n\n");

        assertThat(sse.framingProblems()).anyMatch(p -> p.contains("without a blank line"));
    }

    @Test
    void parse_eventsWithoutBlankLines_stillYieldsOneEventPerDataLine() {
        SseTranscript sse = parse("data: {\"a\":1}\ndata: {\"a\":2}\n\n");

        assertThat(sse.chunks()).hasSize(2);
    }

    @Test
    void parse_unterminatedLastEvent_isReported() {
        SseTranscript sse = parse("data: {\"a\":1}\n\ndata: [DONE]");

        assertThat(sse.framingProblems()).anyMatch(p -> p.contains("not followed by a blank line"));
    }

    @Test
    void parse_dataWithoutSpace_isReported() {
        SseTranscript sse = parse("data:{\"a\":1}\n\n");

        assertThat(sse.framingProblems()).anyMatch(p -> p.contains("without the space"));
    }

    @Test
    void parse_eventField_isReported() {
        SseTranscript sse = parse("event: message\ndata: {\"a\":1}\n\n");

        assertThat(sse.framingProblems()).anyMatch(p -> p.contains("field 'event'"));
    }

    @Test
    void parse_dataThatIsNotJson_isReported() {
        SseTranscript sse = parse("data: hello\n\n");

        assertThat(sse.framingProblems()).anyMatch(p -> p.contains("neither JSON nor [DONE]"));
    }

    @Test
    void parse_errorEvent_isAnErrorNotAChunk() {
        SseTranscript sse = parse("data: {\"error\":{\"message\":\"x\"}}\n\n");

        assertThat(sse.firstError()).isPresent();
        assertThat(sse.chunks()).isEmpty();
    }
}
