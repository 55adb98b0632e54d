package io.fairlane.gateway.batches;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.models.batches.BatchCreateParams;
import com.openai.models.files.FileCreateParams;
import com.openai.models.files.FilePurpose;
import io.fairlane.engine.GenerationRequest;
import io.fairlane.gateway.http.Json;
import io.fairlane.gateway.testing.GatewayExtension;
import io.fairlane.gateway.testing.Multipart;
import io.fairlane.gateway.testing.TestGateway;
import io.fairlane.scheduler.ServiceTier;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code /v1/batches} on the real server: lines run through the lanes, results in OpenAI's format, bad input. */
@ExtendWith(GatewayExtension.class)
class BatchesApiTest {

    static String chatLine(String customId, String model, String user) {
        return "{\"custom_id\":\"" + customId + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":"
                + "{\"model\":\"" + model + "\",\"user\":\"" + user + "\",\"messages\":[{\"role\":\"user\","
                + "\"content\":\"hi " + customId + "\"}],\"max_tokens\":8}}";
    }

    static String fileOf(TestGateway g, String key, List<String> lines) throws Exception {
        HttpResponse<String> r = g.send(new Multipart().field("purpose", "batch")
                .file("file", "batch.jsonl", (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8))
                .upload(g, key));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Json.MAPPER.readTree(r.body()).get("id").asText();
    }

    static HttpResponse<String> call(TestGateway g, String key, String method, String path, String json)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + g.port() + path))
                .header("Authorization", "Bearer " + key);
        b = json == null ? b.method(method, HttpRequest.BodyPublishers.noBody())
                : b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(json));
        return g.send(b.build());
    }

    static JsonNode create(TestGateway g, String key, String fileId, String endpoint) throws Exception {
        HttpResponse<String> r = call(g, key, "POST", "/v1/batches", "{\"input_file_id\":\"" + fileId
                + "\",\"endpoint\":\"" + endpoint + "\",\"completion_window\":\"24h\",\"metadata\":{\"k\":\"v\"}}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Json.MAPPER.readTree(r.body());
    }

    static JsonNode awaitStatus(TestGateway g, String key, String id, String... statuses) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        JsonNode b;
        do {
            Thread.sleep(100);
            b = Json.MAPPER.readTree(call(g, key, "GET", "/v1/batches/" + id, null).body());
        } while (!List.of(statuses).contains(b.get("status").asText()) && System.nanoTime() < deadline);
        assertThat(b.get("status").asText()).as(b.toString()).isIn((Object[]) statuses);
        return b;
    }

    static List<JsonNode> lines(TestGateway g, String key, String fileId) throws Exception {
        HttpResponse<String> r = call(g, key, "GET", "/v1/files/" + fileId + "/content", null);
        assertThat(r.statusCode()).isEqualTo(200);
        List<JsonNode> out = new ArrayList<>();
        for (String line : r.body().split("\n")) {
            if (!line.isBlank()) {
                out.add(Json.MAPPER.readTree(line));
            }
        }
        return out;
    }

    @Test
    void batch_ofUpstreamLines_completesWithEveryCustomIdAnsweredOnce(TestGateway g) throws Exception {
        List<String> input = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            input.add(chatLine("req-" + i, "gpt-stub", "plain"));
        }
        JsonNode created = create(g, TestGateway.DEMO_KEY, fileOf(g, TestGateway.DEMO_KEY, input),
                "/v1/chat/completions");
        assertThat(created.get("status").asText()).isEqualTo("validating");
        JsonNode done = awaitStatus(g, TestGateway.DEMO_KEY, created.get("id").asText(), "completed");
        assertThat(done.get("request_counts").get("completed").asInt()).isEqualTo(40);
        assertThat(done.get("request_counts").get("failed").asInt()).isZero();
        assertThat(done.has("error_file_id")).isFalse();
        assertThat(done.get("model").asText()).isEqualTo("gpt-stub");
        assertThat(done.get("usage").get("input_tokens").asInt()).isEqualTo(40 * 9);
        List<JsonNode> out = lines(g, TestGateway.DEMO_KEY, done.get("output_file_id").asText());
        Map<String, Long> ids = out.stream().collect(Collectors.groupingBy(l -> l.get("custom_id").asText(),
                Collectors.counting()));
        assertThat(ids).hasSize(40).allSatisfy((id, n) -> assertThat(n).isEqualTo(1));
        JsonNode first = out.getFirst();
        assertThat(first.get("id").asText()).startsWith("batch_req_");
        assertThat(first.get("response").get("status_code").asInt()).isEqualTo(200);
        assertThat(first.get("response").get("request_id").asText()).isNotEmpty();
        assertThat(first.get("response").get("body").get("choices").get(0).get("message").get("content").asText())
                .isEqualTo("Hi there");
        assertThat(first.get("response").get("body").get("service_tier").asText()).isEqualTo("flex");
        assertThat(first.get("error").isNull()).isTrue();
    }

    @Test
    void batch_onTheLocalLane_runsItsLinesAtTheFlexTier(TestGateway g) throws Exception {
        int before = g.engine().submitted().size();
        List<String> input = List.of(chatLine("a", "local-tiny", "u"), chatLine("b", "local-tiny", "u"));
        JsonNode created = create(g, TestGateway.DEMO_KEY, fileOf(g, TestGateway.DEMO_KEY, input),
                "/v1/chat/completions");
        JsonNode done = awaitStatus(g, TestGateway.DEMO_KEY, created.get("id").asText(), "completed");
        assertThat(done.get("request_counts").get("completed").asInt()).isEqualTo(2);
        List<GenerationRequest> ran = g.engine().submitted().subList(before, g.engine().submitted().size());
        assertThat(ran).extracting(GenerationRequest::tier).contains(ServiceTier.FLEX).doesNotContain(
                ServiceTier.DEFAULT, ServiceTier.PRIORITY);
    }

    @Test
    void batch_withLinesTheUpstreamRefuses_writesThemToTheErrorFile(TestGateway g) throws Exception {
        List<String> input = List.of(chatLine("good", "gpt-stub", "plain"), chatLine("bad", "gpt-stub", "e400"));
        JsonNode created = create(g, TestGateway.DEMO_KEY, fileOf(g, TestGateway.DEMO_KEY, input),
                "/v1/chat/completions");
        JsonNode done = awaitStatus(g, TestGateway.DEMO_KEY, created.get("id").asText(), "completed");
        assertThat(done.get("request_counts").get("failed").asInt()).isEqualTo(1);
        List<JsonNode> errors = lines(g, TestGateway.DEMO_KEY, done.get("error_file_id").asText());
        assertThat(errors).hasSize(1);
        assertThat(errors.getFirst().get("custom_id").asText()).isEqualTo("bad");
        assertThat(errors.getFirst().get("response").get("status_code").asInt()).isEqualTo(400);
        assertThat(errors.getFirst().get("response").get("body").get("error").get("message").asText())
                .isEqualTo("upstream says no");
        assertThat(lines(g, TestGateway.DEMO_KEY, done.get("output_file_id").asText())).hasSize(1);
    }

    @Test
    void batch_withBadLines_failsListingEachLineNumber(TestGateway g) throws Exception {
        List<String> input = List.of(
                chatLine("ok", "gpt-stub", "plain"),
                "{not json",
                chatLine("ok", "gpt-stub", "plain"),
                chatLine("x", "no-such-model", "plain"),
                chatLine("y", "gpt-stub", "plain").replace("/v1/chat/completions", "/v1/embeddings"),
                chatLine("z", "gpt-stub", "plain").replace("\"max_tokens\":8", "\"temperature\":\"hot\""));
        JsonNode created = create(g, TestGateway.DEMO_KEY, fileOf(g, TestGateway.DEMO_KEY, input),
                "/v1/chat/completions");
        JsonNode failed = awaitStatus(g, TestGateway.DEMO_KEY, created.get("id").asText(), "failed");
        Map<Integer, String> byLine = new java.util.TreeMap<>();
        failed.get("errors").get("data").forEach(e -> byLine.put(e.get("line").asInt(), e.get("code").asText()));
        assertThat(byLine).containsEntry(2, "invalid_json_line").containsEntry(3, "duplicate_custom_id")
                .containsEntry(4, "model_not_found").containsEntry(5, "invalid_url").containsEntry(6, "invalid_type");
        assertThat(failed.get("failed_at").isNull()).isFalse();
        assertThat(failed.has("output_file_id")).isFalse();
    }

    @Test
    void create_unknownEndpoint_is400NamingTheSupportedOnes(TestGateway g) throws Exception {
        String file = fileOf(g, TestGateway.DEMO_KEY, List.of(chatLine("a", "gpt-stub", "plain")));
        HttpResponse<String> r = call(g, TestGateway.DEMO_KEY, "POST", "/v1/batches", "{\"input_file_id\":\"" + file
                + "\",\"endpoint\":\"/v1/images/generations\",\"completion_window\":\"24h\"}");
        assertThat(r.statusCode()).isEqualTo(400);
        JsonNode e = Json.MAPPER.readTree(r.body()).get("error");
        assertThat(e.get("param").asText()).isEqualTo("endpoint");
        assertThat(e.get("message").asText()).contains("/v1/chat/completions").contains("/v1/responses");
        assertThat(g.plainChat().statusCode()).isEqualTo(200);
    }

    @Test
    void create_otherWindow_is400(TestGateway g) throws Exception {
        String file = fileOf(g, TestGateway.DEMO_KEY, List.of(chatLine("a", "gpt-stub", "plain")));
        HttpResponse<String> r = call(g, TestGateway.DEMO_KEY, "POST", "/v1/batches", "{\"input_file_id\":\"" + file
                + "\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"1h\"}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(Json.MAPPER.readTree(r.body()).get("error").get("param").asText()).isEqualTo("completion_window");
    }

    @Test
    void create_fromAnotherTenantsFile_is404(TestGateway g) throws Exception {
        String file = fileOf(g, TestGateway.DEMO_KEY, List.of(chatLine("a", "gpt-stub", "plain")));
        HttpResponse<String> r = call(g, TestGateway.SMALL_KEY, "POST", "/v1/batches", "{\"input_file_id\":\"" + file
                + "\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}");
        assertThat(r.statusCode()).isEqualTo(404);
    }

    @Test
    void retrieveAndCancel_anotherTenantsBatch_are404(TestGateway g) throws Exception {
        String file = fileOf(g, TestGateway.DEMO_KEY, List.of(chatLine("a", "gpt-stub", "plain")));
        String id = create(g, TestGateway.DEMO_KEY, file, "/v1/chat/completions").get("id").asText();
        assertThat(call(g, TestGateway.SMALL_KEY, "GET", "/v1/batches/" + id, null).statusCode()).isEqualTo(404);
        assertThat(call(g, TestGateway.SMALL_KEY, "POST", "/v1/batches/" + id + "/cancel", null).statusCode())
                .isEqualTo(404);
        awaitStatus(g, TestGateway.DEMO_KEY, id, "completed");
    }

    @Test
    void cancel_aFinishedBatch_is400AndChangesNothing(TestGateway g) throws Exception {
        String file = fileOf(g, TestGateway.DEMO_KEY, List.of(chatLine("a", "gpt-stub", "plain")));
        String id = create(g, TestGateway.DEMO_KEY, file, "/v1/chat/completions").get("id").asText();
        awaitStatus(g, TestGateway.DEMO_KEY, id, "completed");
        HttpResponse<String> r = call(g, TestGateway.DEMO_KEY, "POST", "/v1/batches/" + id + "/cancel", null);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(Json.MAPPER.readTree(r.body()).get("error").get("code").asText()).isEqualTo("batch_not_cancellable");
        assertThat(Json.MAPPER.readTree(call(g, TestGateway.DEMO_KEY, "GET", "/v1/batches/" + id, null).body())
                .get("status").asText()).isEqualTo("completed");
    }

    @Test
    void cancel_whileRunning_endsCancelledWithUnrunLinesInTheErrorFile(TestGateway g) throws Exception {
        List<String> input = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            input.add(chatLine("slow-" + i, "local-tiny", "u").replace("hi slow", "[slow] hi slow")
                    .replace("\"max_tokens\":8", "\"max_tokens\":400"));
        }
        String id = create(g, TestGateway.DEMO_KEY, fileOf(g, TestGateway.DEMO_KEY, input), "/v1/chat/completions")
                .get("id").asText();
        awaitStatus(g, TestGateway.DEMO_KEY, id, "in_progress");
        JsonNode cancelling = Json.MAPPER.readTree(call(g, TestGateway.DEMO_KEY, "POST", "/v1/batches/" + id + "/cancel",
                null).body());
        assertThat(cancelling.get("status").asText()).isIn("cancelling", "cancelled");
        JsonNode done = awaitStatus(g, TestGateway.DEMO_KEY, id, "cancelled");
        assertThat(done.get("cancelled_at").isNull()).isFalse();
        List<JsonNode> errors = lines(g, TestGateway.DEMO_KEY, done.get("error_file_id").asText());
        assertThat(errors).hasSize(20 - done.get("request_counts").get("completed").asInt());
        assertThat(errors.getFirst().get("error").get("code").asText()).isEqualTo("batch_cancelled");
        assertThat(g.plainChat().statusCode()).isEqualTo(200);
    }

    @Test
    void list_newestFirst_withPaging(TestGateway g) throws Exception {
        String file = fileOf(g, TestGateway.DEMO_KEY, List.of(chatLine("a", "gpt-stub", "plain")));
        String older = create(g, TestGateway.DEMO_KEY, file, "/v1/chat/completions").get("id").asText();
        String newer = create(g, TestGateway.DEMO_KEY, file, "/v1/chat/completions").get("id").asText();
        JsonNode page = Json.MAPPER.readTree(call(g, TestGateway.DEMO_KEY, "GET", "/v1/batches?limit=1", null).body());
        assertThat(page.get("data").get(0).get("id").asText()).isEqualTo(newer);
        assertThat(page.get("has_more").asBoolean()).isTrue();
        JsonNode next = Json.MAPPER.readTree(call(g, TestGateway.DEMO_KEY, "GET", "/v1/batches?limit=1&after=" + newer,
                null).body());
        assertThat(next.get("data").get(0).get("id").asText()).isEqualTo(older);
    }

    @Test
    void openAiJava_filesCreateBatchesCreateAndContent_work(TestGateway g) throws Exception {
        String jsonl = chatLine("sdk-1", "gpt-stub", "plain") + "\n" + chatLine("sdk-2", "gpt-stub", "plain") + "\n";
        var file = g.client().files().create(FileCreateParams.builder()
                .file(jsonl.getBytes(StandardCharsets.UTF_8)).purpose(FilePurpose.BATCH).build());
        var batch = g.client().batches().create(BatchCreateParams.builder().inputFileId(file.id())
                .endpoint(BatchCreateParams.Endpoint.V1_CHAT_COMPLETIONS)
                .completionWindow(BatchCreateParams.CompletionWindow._24H).build());
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!batch.status().equals(com.openai.models.batches.Batch.Status.COMPLETED)
                && System.nanoTime() < deadline) {
            Thread.sleep(100);
            batch = g.client().batches().retrieve(batch.id());
        }
        assertThat(batch.status()).isEqualTo(com.openai.models.batches.Batch.Status.COMPLETED);
        try (var content = g.client().files().content(batch.outputFileId().orElseThrow())) {
            String out = new String(content.body().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(out.lines()).hasSize(2).anyMatch(l -> l.contains("\"sdk-1\"")).anyMatch(l -> l.contains("\"sdk-2\""));
        }
    }
}
