package io.fairlane.gateway.files;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.models.files.FileCreateParams;
import com.openai.models.files.FileObject;
import com.openai.models.files.FilePurpose;
import io.fairlane.gateway.http.Json;
import io.fairlane.gateway.testing.GatewayExtension;
import io.fairlane.gateway.testing.Multipart;
import io.fairlane.gateway.testing.TestGateway;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code /v1/files} on the real server: upload, list, retrieve, content, delete, isolation and bad input. */
@ExtendWith(GatewayExtension.class)
class FilesApiTest {

    private static JsonNode upload(TestGateway g, String key, String purpose, byte[] content) throws Exception {
        HttpResponse<String> r = g.send(new Multipart().field("purpose", purpose).file("file", "input.jsonl", content)
                .upload(g, key));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Json.MAPPER.readTree(r.body());
    }

    private static JsonNode error(HttpResponse<String> r) throws Exception {
        JsonNode e = Json.MAPPER.readTree(r.body()).get("error");
        assertThat(e).as(r.body()).isNotNull();
        assertThat(e.has("message") && e.has("type") && e.has("param") && e.has("code")).isTrue();
        return e;
    }

    private static HttpResponse<String> as(TestGateway g, String key, String method, String path) throws Exception {
        return g.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + g.port() + path))
                .header("Authorization", "Bearer " + key).method(method, HttpRequest.BodyPublishers.noBody()).build());
    }

    @Test
    void upload_multipart_returnsTheFileObject(TestGateway g) throws Exception {
        JsonNode f = upload(g, TestGateway.DEMO_KEY, "user_data", "hello".getBytes(StandardCharsets.UTF_8));
        assertThat(f.get("object").asText()).isEqualTo("file");
        assertThat(f.get("id").asText()).startsWith("file-");
        assertThat(f.get("bytes").asLong()).isEqualTo(5);
        assertThat(f.get("filename").asText()).isEqualTo("input.jsonl");
        assertThat(f.get("purpose").asText()).isEqualTo("user_data");
        assertThat(f.get("status").asText()).isEqualTo("processed");
    }

    @Test
    void content_afterUpload_isTheSameBytes(TestGateway g) throws Exception {
        byte[] content = new byte[300_000];
        for (int i = 0; i < content.length; i++) {
            content[i] = (byte) (i * 31 + (i >> 8));
        }
        String id = upload(g, TestGateway.DEMO_KEY, "user_data", content).get("id").asText();
        HttpResponse<byte[]> r = g.http().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + g.port()
                + "/v1/files/" + id + "/content")).header("Authorization", "Bearer " + TestGateway.DEMO_KEY).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(Arrays.equals(r.body(), content)).as("content matches").isTrue();
    }

    @Test
    void retrieve_anotherTenantsFile_is404(TestGateway g) throws Exception {
        String id = upload(g, TestGateway.DEMO_KEY, "user_data", "mine".getBytes(StandardCharsets.UTF_8))
                .get("id").asText();
        HttpResponse<String> r = as(g, TestGateway.SMALL_KEY, "GET", "/v1/files/" + id);
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(error(r).get("message").asText()).isEqualTo("No such File object: " + id);
        assertThat(as(g, TestGateway.SMALL_KEY, "GET", "/v1/files/" + id + "/content").statusCode()).isEqualTo(404);
        assertThat(as(g, TestGateway.SMALL_KEY, "DELETE", "/v1/files/" + id).statusCode()).isEqualTo(404);
        assertThat(as(g, TestGateway.DEMO_KEY, "GET", "/v1/files/" + id).statusCode()).isEqualTo(200);
    }

    @Test
    void delete_thenRetrieve_is404(TestGateway g) throws Exception {
        String id = upload(g, TestGateway.DEMO_KEY, "user_data", "x".getBytes(StandardCharsets.UTF_8))
                .get("id").asText();
        HttpResponse<String> d = as(g, TestGateway.DEMO_KEY, "DELETE", "/v1/files/" + id);
        assertThat(Json.MAPPER.readTree(d.body()).get("deleted").asBoolean()).isTrue();
        assertThat(as(g, TestGateway.DEMO_KEY, "GET", "/v1/files/" + id).statusCode()).isEqualTo(404);
    }

    @Test
    void list_byPurposeAndPages_walksEveryFileOnce(TestGateway g) throws Exception {
        String purpose = "evals";
        for (int i = 0; i < 5; i++) {
            upload(g, TestGateway.DEMO_KEY, purpose, ("f" + i).getBytes(StandardCharsets.UTF_8));
        }
        java.util.List<String> seen = new java.util.ArrayList<>();
        String after = null;
        do {
            JsonNode page = Json.MAPPER.readTree(as(g, TestGateway.DEMO_KEY, "GET", "/v1/files?purpose=" + purpose
                    + "&limit=2&order=asc" + (after == null ? "" : "&after=" + after)).body());
            page.get("data").forEach(f -> seen.add(f.get("id").asText()));
            after = page.get("has_more").asBoolean() ? page.get("last_id").asText() : null;
        } while (after != null);
        assertThat(seen).hasSizeGreaterThanOrEqualTo(5).doesNotHaveDuplicates();
    }

    @Test
    void upload_largerThanTheFileLimit_is413AndTheNextSucceeds(TestGateway g) throws Exception {
        HttpResponse<String> r = g.send(new Multipart().field("purpose", "user_data")
                .file("file", "big.bin", new byte[3 << 20]).upload(g, TestGateway.DEMO_KEY));
        assertThat(r.statusCode()).isEqualTo(413);
        assertThat(error(r).get("code").asText()).isEqualTo("file_too_large");
        upload(g, TestGateway.DEMO_KEY, "user_data", "fine".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void upload_beyondTheTenantQuota_is400AndNothingIsKept(TestGateway g) throws Exception {
        java.util.List<String> ids = new java.util.ArrayList<>();
        try {
            HttpResponse<String> refused = null;
            for (int i = 0; i < 6 && refused == null; i++) {
                HttpResponse<String> r = g.send(new Multipart().field("purpose", "user_data")
                        .file("file", "part.bin", new byte[(2 << 20) - 100]).upload(g, TestGateway.SMALL_KEY));
                if (r.statusCode() == 200) {
                    ids.add(Json.MAPPER.readTree(r.body()).get("id").asText());
                } else {
                    refused = r;
                }
            }
            assertThat(refused).as("an upload past 8 MiB is refused").isNotNull();
            assertThat(refused.statusCode()).isEqualTo(400);
            assertThat(error(refused).get("code").asText()).isEqualTo("storage_quota_exceeded");
            assertThat(ids).hasSize(4);
        } finally {
            for (String id : ids) {
                as(g, TestGateway.SMALL_KEY, "DELETE", "/v1/files/" + id);
            }
        }
    }

    @Test
    void upload_withoutPurpose_is400NamingIt(TestGateway g) throws Exception {
        HttpResponse<String> r = g.send(new Multipart().file("file", "a.txt", new byte[10])
                .upload(g, TestGateway.DEMO_KEY));
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(error(r).get("param").asText()).isEqualTo("purpose");
    }

    @Test
    void upload_unknownPurpose_is400(TestGateway g) throws Exception {
        HttpResponse<String> r = g.send(new Multipart().field("purpose", "batch_output").file("file", "a.txt",
                new byte[10]).upload(g, TestGateway.DEMO_KEY));
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(error(r).get("code").asText()).isEqualTo("invalid_value");
    }

    @Test
    void upload_notMultipart_is400AndTheNextSucceeds(TestGateway g) throws Exception {
        HttpResponse<String> r = g.post("/v1/files", "{\"purpose\":\"batch\"}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(error(r).get("code").asText()).isEqualTo("invalid_content_type");
        g.plainChat();
        upload(g, TestGateway.DEMO_KEY, "user_data", "ok".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void upload_truncatedMultipart_is400(TestGateway g) throws Exception {
        byte[] body = ("--" + Multipart.BOUNDARY + "\r\nContent-Disposition: form-data; name=\"file\"; "
                + "filename=\"a\"\r\n\r\nno closing boundary").getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> r = g.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + g.port() + "/v1/files"))
                .header("Authorization", "Bearer " + TestGateway.DEMO_KEY)
                .header("Content-Type", "multipart/form-data; boundary=" + Multipart.BOUNDARY)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(error(r).get("code").asText()).isEqualTo("invalid_multipart");
        upload(g, TestGateway.DEMO_KEY, "user_data", "ok".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void upload_withoutKey_is401(TestGateway g) throws Exception {
        HttpResponse<String> r = g.send(new Multipart().field("purpose", "batch").file("file", "a", new byte[1])
                .upload(g, "sk-wrong"));
        assertThat(r.statusCode()).isEqualTo(401);
    }

    @Test
    void openAiJava_createRetrieveContent_roundTrips(TestGateway g) throws Exception {
        FileObject f = g.client().files().create(FileCreateParams.builder()
                .file("{\"a\":1}\n".getBytes(StandardCharsets.UTF_8)).purpose(FilePurpose.USER_DATA).build());
        assertThat(f.bytes()).isEqualTo(8);
        assertThat(g.client().files().retrieve(f.id()).id()).isEqualTo(f.id());
        try (var content = g.client().files().content(f.id())) {
            assertThat(new String(content.body().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("{\"a\":1}\n");
        }
    }
}
