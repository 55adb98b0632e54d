package io.fairlane.conformance.capture;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

class JsonDiffTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static List<Difference> diff(String a, String b, boolean deterministic) throws Exception {
        JsonNode x = JSON.readTree(a);
        JsonNode y = JSON.readTree(b);
        return JsonDiff.compare(x, y, deterministic);
    }

    @Test
    void compare_differentIdsAndTimestamps_areIgnored() throws Exception {
        assertThat(diff("{\"id\":\"a\",\"created\":1}", "{\"id\":\"b\",\"created\":2}", true)).isEmpty();
    }

    @Test
    void compare_differentContentWhenSampled_isNotADifference() throws Exception {
        assertThat(diff("{\"content\":\"x\"}", "{\"content\":\"y\"}", false)).isEmpty();
    }

    @Test
    void compare_differentContentWhenDeterministic_isADifference() throws Exception {
        assertThat(diff("{\"content\":\"x\"}", "{\"content\":\"y\"}", true)).extracting(Difference::path)
                .containsExactly("$.content");
    }

    @Test
    void compare_differentFinishReason_isADifferenceEvenWhenSampled() throws Exception {
        assertThat(diff("{\"finish_reason\":\"stop\"}", "{\"finish_reason\":\"length\"}", false))
                .extracting(Difference::severity).containsExactly(Difference.Severity.DIFFERENCE);
    }

    @Test
    void compare_missingField_isADifferenceAndAnExtraFieldANote() throws Exception {
        assertThat(diff("{\"a\":1,\"b\":2}", "{\"b\":2,\"c\":3}", false)).extracting(Difference::kind,
                Difference::severity).containsExactlyInAnyOrder(
                org.assertj.core.groups.Tuple.tuple(Difference.Kind.MISSING, Difference.Severity.DIFFERENCE),
                org.assertj.core.groups.Tuple.tuple(Difference.Kind.EXTRA, Difference.Severity.NOTE));
    }

    @Test
    void compare_sampledToolArgumentsWithOtherKeys_isADifference() throws Exception {
        assertThat(diff("{\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}",
                "{\"arguments\":\"{\\\"town\\\":\\\"Paris\\\"}\"}", false)).hasSize(1);
    }

    @Test
    void compare_sampledToolArgumentsWithOtherValues_isNotADifference() throws Exception {
        assertThat(diff("{\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}",
                "{\"arguments\":\"{\\\"city\\\":\\\"Oslo\\\"}\"}", false)).isEmpty();
    }

    @Test
    void compare_embeddingOfOtherDimension_isADifferenceEvenWhenSampled() throws Exception {
        assertThat(diff("{\"embedding\":[0.1,0.2]}", "{\"embedding\":[0.3]}", false))
                .extracting(Difference::kind).containsExactly(Difference.Kind.LENGTH);
    }

    @Test
    void compare_chatMessageObject_isComparedStructurally() throws Exception {
        assertThat(diff("{\"message\":{\"role\":\"assistant\"}}", "{\"message\":{\"role\":\"user\"}}", false))
                .extracting(Difference::path).containsExactly("$.message.role");
    }
}
