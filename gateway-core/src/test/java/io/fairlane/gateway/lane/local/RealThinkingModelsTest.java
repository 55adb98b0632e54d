package io.fairlane.gateway.lane.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import io.fairlane.engine.model.SyntheticModels;
import io.fairlane.engine.tokenizer.BuiltinTokenizer;
import io.fairlane.engine.tokenizer.TokenizerPackages;
import io.fairlane.gateway.EngineOpener;
import io.fairlane.gateway.Gateway;
import io.fairlane.gateway.config.ApiKeyHash;
import io.fairlane.gateway.config.ConfigLoader;
import io.fairlane.gateway.config.FairlaneConfig;
import io.fairlane.gateway.http.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reasoning and structured outputs through the real engine, with random-weight models behind real chat templates:
 * Qwen3's own template and tokenizer (from the npm tokenizer packages), whose {@code enable_thinking} switch the
 * reasoning effort drives; and a DeepSeek-R1-style template that opens a think block at the end of the prompt, whose
 * thinking must come out as reasoning, apart from an answer that still follows the schema it was given.
 */
class RealThinkingModelsTest {

    private static final String KEY = "sk-thinking";
    private static final String SCHEMA = "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\","
            + "\"maxLength\":8},\"days\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":9}},\"required\":[\"city\","
            + "\"days\"],\"additionalProperties\":false}";
    /** ChatML whose generation prompt opens a think block, as DeepSeek-R1's does; past thinking is cut from history. */
    private static final String THINKER_TEMPLATE = "{%- for message in messages %}{%- set content = message['content']"
            + " or '' %}{%- if message['role'] == 'assistant' and '</think>' in content %}{%- set content = "
            + "content.split('</think>')[-1] %}{%- endif %}{{ '<|im_start|>' + message['role'] + '\\n' + content + "
            + "'<|im_end|>\\n' }}{%- endfor %}{%- if add_generation_prompt %}{{ '<|im_start|>assistant\\n<think>\\n' }}"
            + "{%- endif %}";

    @TempDir
    static Path dir;
    private static Gateway gateway;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        Path qwen3 = SyntheticModels.materialize("tiny-qwen3", "f32", 7, TokenizerPackages.models("qwen3"),
                dir.resolve("qwen3"));
        Path tokenizer = dir.resolve("thinker-tokenizer");
        BuiltinTokenizer.writeTo(tokenizer);
        ObjectNode config = (ObjectNode) Json.MAPPER.readTree(tokenizer.resolve("tokenizer_config.json").toFile());
        config.put("chat_template", THINKER_TEMPLATE);
        Files.writeString(tokenizer.resolve("tokenizer_config.json"), Json.MAPPER.writeValueAsString(config));
        Path thinker = SyntheticModels.materialize("tiny", "f32", 11, tokenizer, dir.resolve("thinker"));
        String yaml = """
                server: {host: 127.0.0.1, port: 0, event_loops: 1, cache_dir: "%s"}
                tenants:
                  - {id: t, api_keys: ["%s"]}
                models:
                  - id: qwen3
                    local: {path: "%s", backend: cpu, cpu_threads: 1, kv: {cache_size: 8MiB}}
                  - id: thinker
                    local: {path: "%s", backend: cpu, cpu_threads: 1, kv: {cache_size: 8MiB}}
                metrics: {enabled: false}
                """.formatted(dir.resolve("cache"), ApiKeyHash.of(KEY), qwen3, thinker);
        FairlaneConfig parsed = new ConfigLoader(Map.of("HOME", dir.toString())).parse(yaml, "test");
        gateway = Gateway.start(parsed, EngineOpener.engines());
    }

    @AfterAll
    static void stop() {
        if (gateway != null) {
            gateway.close();
        }
    }

    private static JsonNode post(String path, String body) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port()
                        + path)).header("Authorization", "Bearer " + KEY)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Json.MAPPER.readTree(r.body());
    }

    private static int promptTokens(String extra) throws Exception {
        return post("/v1/chat/completions", "{\"model\":\"qwen3\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\","
                + "\"content\":\"Plan a trip.\"}]" + extra + "}").at("/usage/prompt_tokens").asInt();
    }

    private static Set<?> problems(String output) throws Exception {
        return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(Json.MAPPER.readTree(SCHEMA),
                SchemaValidatorsConfig.builder().formatAssertionsEnabled(true).build())
                .validate(Json.MAPPER.readTree(output));
    }

    @Test
    void qwen3_reasoningEffortNone_switchesThinkingOffInItsOwnTemplate() throws Exception {
        int thinking = promptTokens("");
        int off = promptTokens(",\"reasoning_effort\":\"none\"");
        int offByHand = promptTokens(",\"chat_template_kwargs\":{\"enable_thinking\":false}");
        int high = promptTokens(",\"reasoning_effort\":\"high\"");

        // Qwen3's template closes an empty think block in the prompt when thinking is off.
        assertThat(off).isEqualTo(offByHand).isGreaterThan(thinking);
        assertThat(high).isEqualTo(thinking);
    }

    @Test
    void thinker_chat_thinkingIsReasoningContentAndTheAnswerFollowsTheSchema() throws Exception {
        int close = BuiltinTokenizer.tokenizer().tokenId("</think>").orElseThrow();
        JsonNode c = post("/v1/chat/completions", "{\"model\":\"thinker\",\"max_tokens\":400,\"seed\":3,"
                + "\"logit_bias\":{\"" + close + "\":5,\"34\":3,\"125\":3},\"messages\":[{\"role\":\"user\","
                + "\"content\":\"Weather?\"}],\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":"
                + "\"w\",\"strict\":true,\"schema\":" + SCHEMA + "}}}");

        JsonNode message = c.at("/choices/0/message");
        int reasoning = c.at("/usage/completion_tokens_details/reasoning_tokens").asInt();
        assertThat(reasoning).isPositive().isLessThan(c.at("/usage/completion_tokens").asInt());
        assertThat(message.path("reasoning_content").asText()).doesNotContain("<think>", "</think>");
        assertThat(message.path("content").asText()).doesNotContain("</think>");
        assertThat(problems(message.path("content").asText())).as(message.path("content").asText()).isEmpty();
    }

    @Test
    void thinker_responses_cutWhileThinking_isAnIncompleteReasoningItem() throws Exception {
        JsonNode r = post("/v1/responses", "{\"model\":\"thinker\",\"input\":\"Weather?\",\"max_output_tokens\":16}");

        assertThat(r.path("status").asText()).isEqualTo("incomplete");
        assertThat(r.at("/output/0/type").asText()).isEqualTo("reasoning");
        assertThat(r.at("/usage/output_tokens_details/reasoning_tokens").asInt())
                .isEqualTo(r.at("/usage/output_tokens").asInt());
    }

    @Test
    void thinker_previousResponseId_secondTurnHitsThePrefixCache() throws Exception {
        String first = post("/v1/responses", "{\"model\":\"thinker\",\"max_output_tokens\":16,\"input\":\"Tell me "
                + "about the weather in Oslo in the spring, in a few careful sentences, please.\"}").path("id")
                .asText();

        JsonNode second = post("/v1/responses", "{\"model\":\"thinker\",\"max_output_tokens\":16,\"input\":\"And in "
                + "the autumn?\",\"previous_response_id\":\"" + first + "\"}");

        assertThat(second.at("/usage/input_tokens_details/cached_tokens").asInt()).isGreaterThanOrEqualTo(16);
    }
}
