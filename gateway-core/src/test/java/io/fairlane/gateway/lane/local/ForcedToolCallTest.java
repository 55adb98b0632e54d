package io.fairlane.gateway.lane.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ForcedToolCallTest {

    private static List<ForcedToolCall.Event> feedAll(ForcedToolCall reader, String... pieces) {
        List<ForcedToolCall.Event> out = new ArrayList<>();
        for (String p : pieces) {
            out.addAll(reader.feed(p));
        }
        return out;
    }

    @Test
    void feed_nameSplitAcrossPieces_startsOnceTheNameIsComplete() {
        ForcedToolCall r = new ForcedToolCall();
        assertThat(feedAll(r, "{\"name\": \"get_w", "eather\", \"argum")).isEmpty();
        List<ForcedToolCall.Event> events = r.feed("ents\": {");
        assertThat(events).hasSize(2);
        assertThat(((ForcedToolCall.Started) events.getFirst()).name()).isEqualTo("get_weather");
    }

    @Test
    void feed_wholeCall_argumentsWithoutTheWrapperBrace() {
        ForcedToolCall r = new ForcedToolCall();
        feedAll(r, "{\"name\": \"f\", \"arguments\": {\"a\": \"}{\\\"\", ", "\"b\": [1, {}]}", "}");
        assertThat(r.call().arguments() + " " + r.complete()).isEqualTo("{\"a\": \"}{\\\"\", \"b\": [1, {}]} true");
    }

    @Test
    void feed_cutShort_keepsPartialArgumentsNotComplete() {
        ForcedToolCall r = new ForcedToolCall();
        feedAll(r, "{\"name\": \"f\", \"arguments\": {\"a\": [1");
        assertThat(r.call().arguments() + " " + r.complete()).isEqualTo("{\"a\": [1 false");
    }

    @Test
    void call_beforeTheNameIsComplete_isNull() {
        ForcedToolCall r = new ForcedToolCall();
        r.feed("{\"name\": \"f");
        assertThat(r.call()).isNull();
    }

    @Test
    void started_callId_hasOpenAisShape() {
        ForcedToolCall r = new ForcedToolCall();
        r.feed("{\"name\": \"f\", \"arguments\": ");
        assertThat(r.call().id()).matches("call_[A-Za-z0-9]{24}");
    }
}
