package io.fairlane.gateway.lane.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.gateway.http.Json;
import org.junit.jupiter.api.Test;

class StreamNormalizerTest {

    private static ObjectNode chunk(String json) throws Exception {
        return (ObjectNode) Json.MAPPER.readTree(json);
    }

    @Test
    void chatChunkWithoutServiceTier_getsTheTierUsed() throws Exception {
        StreamNormalizer n = new StreamNormalizer(false, "flex");
        ObjectNode c = chunk("{\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
                + "\"delta\":{\"content\":\"x\"}}]}");
        n.normalize(c);
        assertThat(c.path("service_tier").asText()).isEqualTo("flex");
    }

    @Test
    void completionChunk_getsNoServiceTier() throws Exception {
        StreamNormalizer n = new StreamNormalizer(false, "flex");
        ObjectNode c = chunk("{\"object\":\"text_completion\",\"choices\":[{\"index\":0,\"text\":\"x\"}]}");
        n.normalize(c);
        assertThat(c.has("service_tier")).isFalse();
    }

    @Test
    void usageChunkNotAskedFor_isDropped() throws Exception {
        StreamNormalizer n = new StreamNormalizer(false, "default");
        assertThat(n.normalize(chunk("{\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2}}")))
                .isEqualTo(StreamNormalizer.Verdict.DROP);
    }

    @Test
    void usageNotAskedFor_isStillMetered() throws Exception {
        StreamNormalizer n = new StreamNormalizer(false, "default");
        n.normalize(chunk("{\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2}}"));
        assertThat(n.usage().completionTokens()).isEqualTo(2);
    }

    @Test
    void usage_getsIntegersAndDetails() throws Exception {
        StreamNormalizer n = new StreamNormalizer(true, "default");
        ObjectNode c = chunk("{\"choices\":[],\"usage\":{\"prompt_tokens\":3.0,\"completion_tokens\":null,"
                + "\"prompt_tokens_details\":null}}");
        n.normalize(c);
        assertThat(c.get("usage").toString()).contains("\"prompt_tokens\":3,").contains("\"completion_tokens\":0")
                .contains("\"cached_tokens\":0").contains("\"reasoning_tokens\":0").contains("\"total_tokens\":3");
    }

    @Test
    void firstToolCallDelta_getsIdTypeNameAndEmptyArguments() throws Exception {
        StreamNormalizer n = new StreamNormalizer(false, null);
        ObjectNode c = chunk("{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"name\":\"f\"}}]}}]}");
        n.normalize(c);
        ObjectNode call = (ObjectNode) c.at("/choices/0/delta/tool_calls/0");
        assertThat(call.get("id").asText()).startsWith("call_");
        assertThat(call.get("type").asText() + call.at("/function/arguments").asText()).isEqualTo("function");
    }

    @Test
    void callsAllNumberedZero_areRenumberedById() throws Exception {
        StreamNormalizer n = new StreamNormalizer(false, null);
        ObjectNode a = chunk("{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_a\","
                + "\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"\"}}]}}]}");
        ObjectNode more = chunk("{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{}\"}}]}}]}");
        ObjectNode b = chunk("{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_b\","
                + "\"type\":\"function\",\"function\":{\"name\":\"g\",\"arguments\":\"\"}}]}}]}");
        n.normalize(a);
        n.normalize(more);
        n.normalize(b);
        assertThat(more.at("/choices/0/delta/tool_calls/0/index").asInt()).isEqualTo(0);
        assertThat(b.at("/choices/0/delta/tool_calls/0/index").asInt()).isEqualTo(1);
    }

    @Test
    void stopAfterToolCalls_becomesToolCalls() throws Exception {
        StreamNormalizer n = new StreamNormalizer(false, null);
        n.normalize(chunk("{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c\","
                + "\"function\":{\"name\":\"f\",\"arguments\":\"\"}}]}}]}"));
        ObjectNode end = chunk("{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}");
        n.normalize(end);
        assertThat(end.at("/choices/0/finish_reason").asText()).isEqualTo("tool_calls");
    }

    @Test
    void contentDelta_countsAsOutput() throws Exception {
        StreamNormalizer n = new StreamNormalizer(false, null);
        n.normalize(chunk("{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}"));
        boolean roleOnly = n.lastCarriedOutput();
        n.normalize(chunk("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"}}]}"));
        assertThat(new boolean[] {roleOnly, n.lastCarriedOutput()}).containsExactly(false, true);
    }
}
