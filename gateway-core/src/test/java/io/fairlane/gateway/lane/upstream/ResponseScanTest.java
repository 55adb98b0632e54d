package io.fairlane.gateway.lane.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The fast path for complete upstream answers: which ones may go out as they came, which need the tree path. */
class ResponseScanTest {

    private static final String USAGE = "\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":10,\"total_tokens\":22,"
            + "\"prompt_tokens_details\":{\"cached_tokens\":4,\"audio_tokens\":0},"
            + "\"completion_tokens_details\":{\"reasoning_tokens\":0}}";
    private static final String CHOICES = "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
            + "\"content\":\"hi\",\"tool_calls\":[]},\"finish_reason\":\"stop\"}]";

    /** Jackson's scan, and the byte-level one the relay uses, which must agree with it. */
    private static ResponseScan scan(String json, String tier) {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        ResponseScan scan = ResponseScan.of(new ByteArrayInputStream(bytes), tier);
        assertThat(ResponseScan.of(bytes, bytes.length, tier, null)).as("the byte-level scan").isEqualTo(scan);
        return scan;
    }

    @Test
    void wellFormedAnswer_passesWithItsCounts() {
        ResponseScan s = scan("{\"id\":\"x\",\"service_tier\":\"default\"," + CHOICES + "," + USAGE + "}", "default");
        assertThat(s).isEqualTo(new ResponseScan(false, true, true, 12, 10, 4));
    }

    @Test
    void answerWithoutTier_passesWithTheTierToSplice() {
        assertThat(scan("{\"id\":\"x\"," + CHOICES + "," + USAGE + "}", "flex").spliceTier()).isTrue();
    }

    @Test
    void embeddingsUsage_passesWithoutDetails() {
        assertThat(scan("{\"object\":\"list\",\"data\":[],\"usage\":{\"prompt_tokens\":5,\"total_tokens\":5}}", null))
                .isEqualTo(new ResponseScan(false, false, true, 5, 0, 0));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        // counts that are null, fractional, negative, missing or too large
        "{\"usage\":{\"prompt_tokens\":null,\"completion_tokens\":1,\"total_tokens\":1,\"prompt_tokens_details\":{\"cached_tokens\":0},\"completion_tokens_details\":{\"reasoning_tokens\":0}}}",
        "{\"usage\":{\"prompt_tokens\":1.0,\"completion_tokens\":1,\"total_tokens\":2,\"prompt_tokens_details\":{\"cached_tokens\":0},\"completion_tokens_details\":{\"reasoning_tokens\":0}}}",
        "{\"usage\":{\"prompt_tokens\":-1,\"completion_tokens\":1,\"total_tokens\":0,\"prompt_tokens_details\":{\"cached_tokens\":0},\"completion_tokens_details\":{\"reasoning_tokens\":0}}}",
        "{\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"prompt_tokens_details\":{\"cached_tokens\":0},\"completion_tokens_details\":{\"reasoning_tokens\":0}}}",
        "{\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":9999999999,\"prompt_tokens_details\":{\"cached_tokens\":0},\"completion_tokens_details\":{\"reasoning_tokens\":0}}}",
        // details missing, null, or holding a null or fractional count
        "{\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2}}",
        "{\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2,\"prompt_tokens_details\":null,\"completion_tokens_details\":{\"reasoning_tokens\":0}}}",
        "{\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2,\"prompt_tokens_details\":{},\"completion_tokens_details\":{\"reasoning_tokens\":0}}}",
        "{\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2,\"prompt_tokens_details\":{\"cached_tokens\":0,\"audio_tokens\":null},\"completion_tokens_details\":{\"reasoning_tokens\":0}}}",
        "{\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2,\"prompt_tokens_details\":{\"cached_tokens\":0},\"completion_tokens_details\":{\"reasoning_tokens\":0.5}}}",
        // usage not an object, or twice
        "{\"usage\":[]}",
        "{\"usage\":{\"prompt_tokens\":1,\"total_tokens\":1},\"usage\":{\"prompt_tokens\":1,\"total_tokens\":1}}",
        // a tier to overwrite
        "{\"service_tier\":\"priority\",\"choices\":[]}",
        "{\"service_tier\":null,\"choices\":[]}",
        // tool calls to type
        "{\"choices\":[{\"index\":0,\"message\":{\"tool_calls\":[{\"id\":\"c\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]},\"finish_reason\":\"stop\"}]}",
        // not one JSON object
        "[]", "{\"a\":1} {\"b\":2}", "{\"a\":", "{}"})
    void answerNeedingRepair_isDeclined(String json) {
        assertThat(scan(json, "default")).isNull();
    }

    @Test
    void completionText_countsAsOutput() {
        assertThat(scan("{\"choices\":[{\"index\":0,\"text\":\"hi\"}]}", "default").carriedOutput()).isTrue();
    }
}
