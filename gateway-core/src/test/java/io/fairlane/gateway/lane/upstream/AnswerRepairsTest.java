package io.fairlane.gateway.lane.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.gateway.http.Json;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The repairs routing added to answers: the client's model name in complete answers and in chunks (fast path and
 * tree path alike), what a stream records of its choices' ends and output, and a JSON answer made into a stream.
 */
class AnswerRepairsTest {

    private static final String CHUNK = "{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"model\":\"upstream\\\"name\","
            + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"héllo\"},\"finish_reason\":null}],\"usage\":null}";

    private static JsonNode fast(StreamNormalizer n, String json) throws Exception {
        ByteBuf out = Unpooled.buffer();
        try {
            assertThat(n.passThrough(json.getBytes(StandardCharsets.UTF_8), out)).isTrue();
            String event = out.toString(StandardCharsets.UTF_8);
            return Json.MAPPER.readTree(event.substring(6, event.length() - 2));
        } finally {
            out.release();
        }
    }

    @Test
    void passThrough_renamedModel_carriesTheClientsNameWithTierAndUsageCutToo() throws Exception {
        JsonNode c = fast(new StreamNormalizer(false, "default", "my-model"), CHUNK);

        assertThat(c.path("model").asText()).isEqualTo("my-model");
        assertThat(c.path("service_tier").asText()).isEqualTo("default");
        assertThat(c.has("usage")).isFalse();
        assertThat(c.at("/choices/0/delta/content").asText()).isEqualTo("héllo");
    }

    @Test
    void normalize_renamedModel_carriesTheClientsName() throws Exception {
        ObjectNode c = (ObjectNode) Json.MAPPER.readTree(CHUNK);
        new StreamNormalizer(false, null, "my-model").normalize(c);

        assertThat(c.path("model").asText()).isEqualTo("my-model");
    }

    @Test
    void passThrough_withoutRename_leavesTheUpstreamsName() throws Exception {
        assertThat(fast(new StreamNormalizer(true, null), CHUNK).path("model").asText()).isEqualTo("upstream\"name");
    }

    @Test
    void allChoicesFinished_onlyOnceEveryChoiceSeenSentAFinishReason() throws Exception {
        StreamNormalizer n = new StreamNormalizer(true, null);
        fast(n, "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}},{\"index\":1,\"delta\":{\"content\":\"b\"}}]}");
        fast(n, "{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}");
        boolean afterOne = n.allChoicesFinished();
        fast(n, "{\"choices\":[{\"index\":1,\"delta\":{},\"finish_reason\":\"length\"}]}");

        assertThat(afterOne).isFalse();
        assertThat(n.allChoicesFinished()).isTrue();
        assertThat(n.finishReason()).isEqualTo("stop");
        assertThat(n.outputChars()).isEqualTo(2);
    }

    @Test
    void declinedChunk_recordsNothingOfItsFinish() {
        StreamNormalizer n = new StreamNormalizer(true, null);
        ByteBuf out = Unpooled.buffer();
        try {
            n.passThrough(("{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[]},\"finish_reason\":\"stop\"}]}")
                    .getBytes(StandardCharsets.UTF_8), out);
        } finally {
            out.release();
        }

        assertThat(n.allChoicesFinished()).isFalse();
    }

    @Test
    void repair_renamedModel_fastPathSplicesTheClientsName() throws Exception {
        ByteBuf body = Unpooled.copiedBuffer("{\"id\":\"x\",\"model\":\"upstream\",\"choices\":[]}", StandardCharsets.UTF_8);
        ResponseRepair.Repaired r = ResponseRepair.of(body, null, false, "my-model", UnpooledByteBufAllocator.DEFAULT);
        try {
            assertThat(r.body().toString(StandardCharsets.UTF_8)).isEqualTo("{\"id\":\"x\",\"model\":\"my-model\",\"choices\":[]}");
        } finally {
            r.body().release();
            body.release();
        }
    }

    @Test
    void repair_renamedModelAndMissingTier_getBoth() throws Exception {
        ByteBuf body = Unpooled.copiedBuffer("{\"model\":\"upstream\",\"choices\":[]}", StandardCharsets.UTF_8);
        ResponseRepair.Repaired r = ResponseRepair.of(body, "default", true, "my-model", UnpooledByteBufAllocator.DEFAULT);
        try {
            JsonNode n = Json.MAPPER.readTree(r.body().toString(StandardCharsets.UTF_8));
            assertThat(n.path("model").asText() + " " + n.path("service_tier").asText()).isEqualTo("my-model default");
        } finally {
            r.body().release();
            body.release();
        }
    }

    @Test
    void jsonAsStream_chatCompletionWithToolCalls_becomesChunksAnSdkReassembles() throws Exception {
        ObjectNode answer = (ObjectNode) Json.MAPPER.readTree("""
                {"id":"c","object":"chat.completion","created":1,"model":"up","choices":[{"index":0,
                 "message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function",
                 "function":{"name":"f","arguments":"{\\"a\\":1}"}}]},"finish_reason":"tool_calls"}],
                 "usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}""");
        StreamNormalizer n = new StreamNormalizer(true, "default", "mine");
        ByteBuf events = JsonAsStream.events(answer, n, UnpooledByteBufAllocator.DEFAULT);
        List<JsonNode> chunks = new ArrayList<>();
        try {
            for (String e : events.toString(StandardCharsets.UTF_8).split("\n\n")) {
                chunks.add(Json.MAPPER.readTree(e.substring(6)));
            }
        } finally {
            events.release();
        }

        assertThat(chunks).hasSize(3);
        assertThat(chunks.get(0).at("/choices/0/delta/tool_calls/0/function/name").asText()).isEqualTo("f");
        assertThat(chunks.get(1).at("/choices/0/finish_reason").asText()).isEqualTo("tool_calls");
        assertThat(chunks.get(2).at("/usage/completion_tokens").asInt()).isEqualTo(4);
        assertThat(chunks).allMatch(c -> c.path("model").asText().equals("mine"));
        assertThat(n.toolNames()).containsExactly("f");
    }

    @Test
    void jsonAsStream_somethingElse_isNull() throws Exception {
        ObjectNode answer = (ObjectNode) Json.MAPPER.readTree("{\"object\":\"list\",\"data\":[]}");

        assertThat(JsonAsStream.events(answer, new StreamNormalizer(true, null), UnpooledByteBufAllocator.DEFAULT))
                .isNull();
    }

    @Test
    void outputBudget_pastTheChunkLimit_refuses() {
        OutputBudget b = OutputBudget.of(io.fairlane.gateway.config.RoutingConfig.OutputLimits.DEFAULT, 16);

        assertThat(b.maxChunks()).isEqualTo(84);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> b.check(100, 85, 85))
                .isInstanceOf(UpstreamAnswerException.class).hasMessageContaining("16 tokens");
    }
}
