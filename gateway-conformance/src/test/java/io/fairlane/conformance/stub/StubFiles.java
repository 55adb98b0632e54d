package io.fairlane.conformance.stub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code /v1/files} and {@code /v1/batches} of {@link StubOpenAiServer}, in memory: uploads parsed from multipart
 * bodies, batches that validate their input as OpenAI does and complete at once with a canned answer per line. The
 * files and batches {@link Breakage}s are committed here.
 */
final class StubFiles {

    /** What to answer: a JSON body, raw bytes, or an error in OpenAI's envelope. */
    sealed interface Reply permits Json, Bytes, Error {
    }

    record Json(int status, JsonNode body) implements Reply {
    }

    record Bytes(byte[] body) implements Reply {
    }

    record Error(int status, String message, String param, String code) implements Reply {
    }

    private record StoredFile(String id, String filename, String purpose, byte[] content, long createdAt) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Set<Breakage> breakages;
    private final Map<String, StoredFile> files = new LinkedHashMap<>();
    private final Map<String, ObjectNode> batches = new LinkedHashMap<>();
    private final AtomicInteger ids = new AtomicInteger();

    StubFiles(Set<Breakage> breakages) {
        this.breakages = breakages;
    }

    private boolean broken(Breakage b) {
        return breakages.contains(b);
    }

    /** The reply to a files or batches request, or null when the path is neither. */
    synchronized Reply handle(String method, String path, String query, String contentType, byte[] body) {
        if (path.equals("/v1/files") && method.equals("POST")) {
            return upload(contentType, body);
        }
        if (path.equals("/v1/files") && method.equals("GET")) {
            return listFiles(query);
        }
        if (path.startsWith("/v1/files/")) {
            String rest = path.substring("/v1/files/".length());
            boolean content = rest.endsWith("/content");
            StoredFile f = files.get(content ? rest.substring(0, rest.length() - "/content".length()) : rest);
            if (f == null) {
                return new Error(404, "No such File object: " + rest, "id", null);
            }
            if (content && method.equals("GET")) {
                byte[] bytes = f.content();
                return new Bytes(broken(Breakage.FILE_CONTENT_TRUNCATED) ? java.util.Arrays.copyOf(bytes,
                        bytes.length - 1) : bytes);
            }
            if (method.equals("DELETE")) {
                if (!broken(Breakage.FILE_DELETE_KEEPS)) {
                    files.remove(f.id());
                }
                ObjectNode d = JSON.createObjectNode().put("id", f.id()).put("object", "file").put("deleted", true);
                return new Json(200, d);
            }
            ObjectNode o = fileObject(f);
            if (broken(Breakage.SCHEMA_FILE_CREATED_STRING)) {
                o.put("created_at", String.valueOf(f.createdAt()));
            }
            return new Json(200, o);
        }
        if (path.equals("/v1/batches") && method.equals("POST")) {
            return createBatch(body);
        }
        if (path.startsWith("/v1/batches/")) {
            String rest = path.substring("/v1/batches/".length());
            boolean cancel = rest.endsWith("/cancel") && method.equals("POST");
            ObjectNode b = batches.get(cancel ? rest.substring(0, rest.length() - "/cancel".length()) : rest);
            if (b == null) {
                return new Error(404, "No such Batch object: " + rest, "id", null);
            }
            if (cancel) {
                if (b.path("status").asText().equals("completed") && !broken(Breakage.BATCH_CANCEL_FINISHED_OK)) {
                    return new Error(400, "Cannot cancel a batch with status 'completed'.", null,
                            "batch_not_cancellable");
                }
                b.put("status", "cancelled");
            }
            return new Json(200, b);
        }
        return null;
    }

    private Reply upload(String contentType, byte[] body) {
        String boundary = contentType == null || !contentType.contains("boundary=") ? null
                : contentType.substring(contentType.indexOf("boundary=") + 9).replace("\"", "").strip();
        if (boundary == null) {
            return new Error(400, "Expected multipart/form-data.", null, null);
        }
        Map<String, byte[]> fields = new LinkedHashMap<>();
        String filename = "file";
        String text = new String(body, StandardCharsets.ISO_8859_1);
        for (String part : text.split("--" + java.util.regex.Pattern.quote(boundary))) {
            int headersEnd = part.indexOf("\r\n\r\n");
            if (headersEnd < 0) {
                continue;
            }
            String headers = part.substring(0, headersEnd);
            String value = part.substring(headersEnd + 4, Math.max(headersEnd + 4, part.length() - 2));
            String name = between(headers, "name=\"", "\"");
            if (name != null) {
                fields.put(name, value.getBytes(StandardCharsets.ISO_8859_1));
            }
            if ("file".equals(name) && headers.contains("filename=\"")) {
                filename = between(headers, "filename=\"", "\"");
            }
        }
        if (!fields.containsKey("file") || !fields.containsKey("purpose")) {
            return new Error(400, "Missing required parameter: 'file' or 'purpose'.", "file",
                    "missing_required_parameter");
        }
        StoredFile f = new StoredFile("file-stub" + ids.incrementAndGet(), filename,
                new String(fields.get("purpose"), StandardCharsets.UTF_8), fields.get("file"), 1_700_000_000L);
        files.put(f.id(), f);
        ObjectNode o = fileObject(f);
        if (broken(Breakage.FILE_BYTES_WRONG)) {
            o.put("bytes", f.content().length + 1);
        }
        return new Json(200, o);
    }

    private static String between(String s, String start, String end) {
        int i = s.indexOf(start);
        if (i < 0) {
            return null;
        }
        int j = s.indexOf(end, i + start.length());
        return j < 0 ? null : s.substring(i + start.length(), j);
    }

    private static ObjectNode fileObject(StoredFile f) {
        ObjectNode o = JSON.createObjectNode();
        o.put("id", f.id());
        o.put("object", "file");
        o.put("bytes", f.content().length);
        o.put("created_at", f.createdAt());
        o.put("filename", f.filename());
        o.put("purpose", f.purpose());
        o.put("status", "processed");
        return o;
    }

    private Reply listFiles(String query) {
        String purpose = query != null && query.startsWith("purpose=") ? query.substring(8) : null;
        ObjectNode list = JSON.createObjectNode();
        list.put("object", "list");
        ArrayNode data = list.putArray("data");
        if (!broken(Breakage.FILE_LIST_OMITS)) {
            files.values().stream().filter(f -> purpose == null || f.purpose().equals(purpose))
                    .forEach(f -> data.add(fileObject(f)));
        }
        list.put("first_id", data.isEmpty() ? "" : data.get(0).path("id").asText());
        list.put("last_id", data.isEmpty() ? "" : data.get(data.size() - 1).path("id").asText());
        list.put("has_more", false);
        return new Json(200, list);
    }

    private Reply createBatch(byte[] body) {
        JsonNode request;
        try {
            request = JSON.readTree(body);
        } catch (IOException e) {
            return new Error(400, "The body is not JSON.", null, null);
        }
        StoredFile input = files.get(request.path("input_file_id").asText());
        if (input == null) {
            return new Error(404, "No such File object: " + request.path("input_file_id").asText(), "input_file_id",
                    null);
        }
        ObjectNode b = JSON.createObjectNode();
        b.put("id", "batch_stub" + ids.incrementAndGet());
        b.put("object", "batch");
        b.put("endpoint", request.path("endpoint").asText());
        b.put("input_file_id", input.id());
        b.put("completion_window", broken(Breakage.BATCH_WRONG_WINDOW) ? "1h" : "24h");
        b.put("status", "validating");
        b.put("created_at", 1_700_000_000L);
        b.put("expires_at", 1_700_086_400L);
        ObjectNode created = b.deepCopy();
        run(b, input);
        batches.put(b.get("id").asText(), b);
        return new Json(200, created);
    }

    /** Validates and completes the batch at once: its next retrieve sees the end. */
    private void run(ObjectNode b, StoredFile input) {
        String[] lines = new String(input.content(), StandardCharsets.UTF_8).split("\n");
        List<ObjectNode> errors = new ArrayList<>();
        Set<String> customIds = new HashSet<>();
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        for (int i = 0; i < lines.length; i++) {
            JsonNode line;
            try {
                line = JSON.readTree(lines[i]);
            } catch (IOException e) {
                line = null;
            }
            if (line == null || !line.isObject()) {
                errors.add(error("invalid_json_line", "Line " + (i + 1) + " is not JSON.", i + 1));
                continue;
            }
            String customId = line.path("custom_id").asText();
            if (!customIds.add(customId)) {
                errors.add(error("duplicate_custom_id", "Line " + (i + 1) + " repeats a custom_id.", i + 1));
                continue;
            }
            int copies = broken(Breakage.BATCH_LINE_TWICE) && i == 0 ? 2 : 1;
            for (int k = 0; k < copies; k++) {
                output.writeBytes((answer(customId, i) + "\n").getBytes(StandardCharsets.UTF_8));
            }
        }
        b.put("status", errors.isEmpty() ? "completed" : "failed");
        ObjectNode counts = b.putObject("request_counts");
        counts.put("total", lines.length);
        counts.put("completed", errors.isEmpty() ? lines.length : 0);
        counts.put("failed", 0);
        if (!errors.isEmpty()) {
            ObjectNode list = b.putObject("errors");
            list.put("object", "list");
            errors.forEach(list.putArray("data")::add);
            b.put("failed_at", 1_700_000_001L);
            return;
        }
        StoredFile out = new StoredFile("file-stub" + ids.incrementAndGet(), b.get("id").asText() + "_output.jsonl",
                "batch_output", output.toByteArray(), 1_700_000_001L);
        files.put(out.id(), out);
        b.put("output_file_id", out.id());
        b.put("completed_at", 1_700_000_001L);
    }

    private ObjectNode error(String code, String message, int line) {
        ObjectNode e = JSON.createObjectNode();
        e.put("code", code);
        e.put("message", message);
        e.putNull("param");
        if (broken(Breakage.BATCH_ERRORS_WITHOUT_LINE)) {
            e.putNull("line");
        } else {
            e.put("line", line);
        }
        return e;
    }

    private static String answer(String customId, int index) {
        ObjectNode l = JSON.createObjectNode();
        l.put("id", "batch_req_" + index);
        l.put("custom_id", customId);
        ObjectNode response = l.putObject("response");
        response.put("status_code", 200);
        response.put("request_id", "req_" + index);
        ObjectNode body = response.putObject("body");
        body.put("id", "chatcmpl-" + index);
        body.put("object", "chat.completion");
        body.put("created", 1_700_000_000L);
        body.put("model", StubOpenAiServer.CHAT_MODEL);
        ObjectNode choice = body.putArray("choices").addObject();
        choice.put("index", 0);
        choice.putObject("message").put("role", "assistant").put("content", "Hello.");
        choice.put("finish_reason", "stop");
        l.putNull("error");
        return l.toString();
    }
}
