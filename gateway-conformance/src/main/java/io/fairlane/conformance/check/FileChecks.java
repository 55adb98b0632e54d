package io.fairlane.conformance.check;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.conformance.wire.Exchange;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Files and batches as the SDKs use them: upload a JSONL file (multipart), read it back, list and delete files;
 * run a batch over it to completion and read its output file; cancel a finished batch; and a batch whose input has
 * bad lines. The batch lines ask the run's chat model for a short answer, so any server that serves chat can run
 * them.
 */
final class FileChecks {

    static final String BOUNDARY = "fairlane-conformance-boundary";
    static final List<String> CUSTOM_IDS = List.of("conformance-1", "conformance-2");
    private static final Set<String> RUNNING = Set.of("validating", "in_progress", "finalizing");
    private static final long POLL_MILLIS = 250;

    private FileChecks() {
    }

    static List<Check> all() {
        return List.of(
                new Check("files.upload", Suite.FILES,
                        "a multipart upload answers a file object with its id, size, name and purpose",
                        FileChecks::upload),
                new Check("files.retrieve", Suite.FILES,
                        "an uploaded file is retrieved by id and listed under its purpose", FileChecks::retrieve),
                new Check("files.content", Suite.FILES, "a file's content is exactly the bytes uploaded",
                        FileChecks::content),
                new Check("files.delete", Suite.FILES,
                        "delete answers deleted: true, after which the file is a 404 with an error body",
                        FileChecks::delete),
                new Check("batches.create", Suite.FILES,
                        "creating a batch answers a batch object for the file, endpoint and window asked",
                        FileChecks::create),
                new Check("batches.complete", Suite.FILES,
                        "a batch completes; its output file answers every custom_id once, in OpenAI's line format",
                        FileChecks::complete),
                new Check("batches.cancel-finished", Suite.FILES,
                        "cancelling a completed batch is a 4xx error and leaves it completed",
                        FileChecks::cancelFinished),
                new Check("batches.invalid-input", Suite.FILES,
                        "a batch over lines that are not valid requests fails, naming the bad lines",
                        FileChecks::invalidInput));
    }

    // ---- the shared requests ----

    static String line(String customId, String model) {
        ObjectNode l = CheckContext.JSON.createObjectNode();
        l.put("custom_id", customId);
        l.put("method", "POST");
        l.put("url", "/v1/chat/completions");
        ObjectNode body = l.putObject("body");
        body.put("model", model);
        body.putArray("messages").addObject().put("role", "user").put("content", "Say hello.");
        body.put("max_tokens", 8);
        return l.toString();
    }

    static byte[] input(CheckContext context) {
        StringBuilder jsonl = new StringBuilder();
        CUSTOM_IDS.forEach(id -> jsonl.append(line(id, context.options().model())).append('\n'));
        return jsonl.toString().getBytes(StandardCharsets.UTF_8);
    }

    static byte[] multipart(String purpose, String filename, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\n" + purpose
                + "\r\n--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + filename
                + "\"\r\nContent-Type: application/jsonl\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        out.writeBytes(content);
        out.writeBytes(("\r\n--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    static Exchange uploadFile(CheckContext context, String key, String purpose, String filename, byte[] content) {
        return context.once("upload-" + key, () -> context.probe().call("upload " + filename, "POST", "files")
                .rawBody(multipart(purpose, filename, content), "multipart/form-data; boundary=" + BOUNDARY).send());
    }

    private static Exchange uploaded(CheckContext context) {
        return uploadFile(context, "batch-input", "batch", "conformance.jsonl", input(context));
    }

    /** The id of the uploaded batch input, or not applicable when the upload itself failed (files.upload says why). */
    private static String fileId(CheckContext context) {
        Exchange exchange = uploaded(context);
        return exchange.response().flatMap(r -> r.json()).filter(j -> exchange.ok())
                .map(j -> j.path("id").asText(null)).filter(id -> id != null && !id.isBlank())
                .orElseThrow(() -> new NotApplicable("the batch input file could not be uploaded (see files.upload)"));
    }

    private static Exchange createBatch(CheckContext context, String key, String fileId) {
        return context.once("batch-" + key, () -> {
            ObjectNode body = CheckContext.JSON.createObjectNode();
            body.put("input_file_id", fileId);
            body.put("endpoint", "/v1/chat/completions");
            body.put("completion_window", "24h");
            return context.probe().post("create a batch (" + key + ")", "batches", body).send();
        });
    }

    /** Polls the batch until it leaves the running statuses or the run's timeout passes; the last exchange. */
    private static Exchange awaitEnd(CheckContext context, String key, String batchId) {
        return context.once("batch-end-" + key, () -> {
            long deadline = System.nanoTime() + 2 * context.options().timeout().toNanos();
            while (true) {
                Exchange poll = context.probe().get("retrieve batch " + key, "batches/" + batchId).send();
                String status = poll.response().flatMap(r -> r.json()).map(j -> j.path("status").asText("")).orElse("");
                if (!poll.ok() || !RUNNING.contains(status) || System.nanoTime() > deadline) {
                    return poll;
                }
                try {
                    Thread.sleep(POLL_MILLIS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return poll;
                }
            }
        });
    }

    /** The main batch, run to its end: its final object, or not applicable when it could not be created. */
    private static Optional<JsonNode> finished(CheckContext context, Findings findings) {
        Exchange created = createBatch(context, "main", fileId(context));
        String id = created.response().flatMap(r -> r.json()).filter(j -> created.ok())
                .map(j -> j.path("id").asText(null))
                .orElseThrow(() -> new NotApplicable("the batch could not be created (see batches.create)"));
        Exchange end = awaitEnd(context, "main", id);
        return CheckContext.okJson(end, findings);
    }

    // ---- the checks ----

    private static void upload(CheckContext context, Findings findings) {
        Exchange exchange = uploaded(context);
        CheckContext.okJson(exchange, findings).ifPresent(f -> {
            int size = input(context).length;
            findings.require("file".equals(f.path("object").asText()), "object is " + f.path("object"), exchange);
            findings.require(f.path("id").isTextual() && !f.path("id").asText().isBlank(), "no id", exchange);
            findings.require(CheckContext.isInteger(f.get("bytes")) && f.get("bytes").asLong() == size,
                    "bytes is " + f.path("bytes") + ", the file has " + size, exchange);
            findings.require("conformance.jsonl".equals(f.path("filename").asText()), "filename is "
                    + f.path("filename"), exchange);
            findings.require("batch".equals(f.path("purpose").asText()), "purpose is " + f.path("purpose"), exchange);
            findings.require(CheckContext.isInteger(f.get("created_at")), "created_at is " + f.path("created_at"),
                    exchange);
            if (!findings.failed()) {
                findings.observe("file " + f.get("id").asText() + " of " + size + " bytes", exchange);
            }
        });
    }

    private static void retrieve(CheckContext context, Findings findings) {
        String id = fileId(context);
        Exchange one = context.probe().get("retrieve the uploaded file", "files/" + id).send();
        CheckContext.okJson(one, findings).ifPresent(f -> findings.require(id.equals(f.path("id").asText())
                && f.path("bytes").asLong() == input(context).length, "retrieve answers " + CheckContext.compact(f),
                one));
        Exchange list = context.probe().get("list batch files", "files?purpose=batch").send();
        CheckContext.okJson(list, findings).ifPresent(l -> {
            boolean listed = false;
            for (JsonNode f : l.path("data")) {
                listed |= id.equals(f.path("id").asText());
                findings.require("batch".equals(f.path("purpose").asText()), "the list filtered by purpose batch "
                        + "holds a file of purpose " + f.path("purpose"), list);
            }
            findings.require("list".equals(l.path("object").asText()), "object is " + l.path("object"), list);
            findings.require(l.path("has_more").isBoolean(), "has_more is " + l.path("has_more"), list);
            findings.require(listed, "the uploaded file " + id + " is not in the list", list);
        });
        if (!findings.failed()) {
            findings.observe("retrieved and listed " + id, one);
        }
    }

    private static void content(CheckContext context, Findings findings) {
        String id = fileId(context);
        Exchange exchange = context.probe().get("download the uploaded file", "files/" + id + "/content").send();
        if (!findings.require(exchange.ok(), "expected 200, got " + exchange.transportError().orElse("status "
                + exchange.status()), exchange)) {
            return;
        }
        byte[] body = exchange.responseOrThrow().body();
        if (findings.require(Arrays.equals(body, input(context)), "the content (" + body.length + " bytes) differs "
                + "from the " + input(context).length + " bytes uploaded", exchange)) {
            findings.observe(body.length + " bytes, identical", exchange);
        }
    }

    private static void delete(CheckContext context, Findings findings) {
        Exchange upload = uploadFile(context, "to-delete", "user_data", "delete-me.txt",
                "delete me".getBytes(StandardCharsets.UTF_8));
        Optional<JsonNode> file = CheckContext.okJson(upload, findings);
        if (file.isEmpty()) {
            return;
        }
        String id = file.get().path("id").asText();
        Exchange deleted = context.probe().call("delete a file", "DELETE", "files/" + id).send();
        CheckContext.okJson(deleted, findings).ifPresent(d -> findings.require(d.path("deleted").asBoolean(false)
                && id.equals(d.path("id").asText()), "delete answers " + CheckContext.compact(d), deleted));
        Exchange after = context.probe().get("retrieve a deleted file", "files/" + id).send();
        findings.require(after.status() == 404, "a deleted file answers " + after.status() + ", not 404", after);
        findings.require(CheckContext.errorObject(after).isPresent(), "the 404 has no error object", after);
        if (!findings.failed()) {
            findings.observe("deleted " + id + "; it is then 404", after);
        }
    }

    private static void create(CheckContext context, Findings findings) {
        String fileId = fileId(context);
        Exchange exchange = createBatch(context, "main", fileId);
        CheckContext.okJson(exchange, findings).ifPresent(b -> {
            findings.require("batch".equals(b.path("object").asText()), "object is " + b.path("object"), exchange);
            findings.require(b.path("id").isTextual(), "no id", exchange);
            findings.require(fileId.equals(b.path("input_file_id").asText()), "input_file_id is "
                    + b.path("input_file_id"), exchange);
            findings.require("/v1/chat/completions".equals(b.path("endpoint").asText()), "endpoint is "
                    + b.path("endpoint"), exchange);
            findings.require("24h".equals(b.path("completion_window").asText()), "completion_window is "
                    + b.path("completion_window"), exchange);
            String status = b.path("status").asText();
            findings.require(RUNNING.contains(status) || status.equals("completed"), "a new batch's status is "
                    + b.path("status"), exchange);
            if (!findings.failed()) {
                findings.observe("batch " + b.get("id").asText() + ", " + status, exchange);
            }
        });
    }

    private static void complete(CheckContext context, Findings findings) {
        finished(context, findings).ifPresent(b -> {
            Exchange end = awaitEnd(context, "main", b.path("id").asText());
            if (!findings.require("completed".equals(b.path("status").asText()), "the batch ended "
                    + b.path("status") + (b.has("errors") ? ", errors " + b.get("errors") : ""), end)) {
                return;
            }
            JsonNode counts = b.path("request_counts");
            findings.require(counts.path("total").asInt(-1) == CUSTOM_IDS.size()
                    && counts.path("completed").asInt(-1) == CUSTOM_IDS.size() && counts.path("failed").asInt(-1) == 0,
                    "request_counts is " + counts, end);
            String output = b.path("output_file_id").asText("");
            if (!findings.require(!output.isBlank(), "no output_file_id", end)) {
                return;
            }
            Exchange file = context.probe().get("download the batch output", "files/" + output + "/content").send();
            if (!findings.require(file.ok(), "the output file answers " + file.status(), file)) {
                return;
            }
            Map<String, Integer> seen = new HashMap<>();
            for (String text : file.responseOrThrow().text().split("\n")) {
                if (text.isBlank()) {
                    continue;
                }
                JsonNode l;
                try {
                    l = CheckContext.JSON.readTree(text);
                } catch (IOException e) {
                    findings.fail("an output line is not JSON: " + text, file);
                    continue;
                }
                seen.merge(l.path("custom_id").asText(), 1, Integer::sum);
                findings.require(l.path("id").isTextual(), "an output line has no id", file);
                findings.require(l.path("response").path("status_code").asInt() == 200, "response.status_code is "
                        + l.path("response").path("status_code"), file);
                findings.require(l.path("response").path("body").isObject(), "response.body is not an object", file);
                findings.require(l.has("error") && l.get("error").isNull(), "error is " + l.path("error"), file);
            }
            findings.require(seen.keySet().equals(new TreeSet<>(CUSTOM_IDS)) && seen.values().stream()
                    .allMatch(n -> n == 1), "custom_ids in the output: " + seen + ", expected each of " + CUSTOM_IDS
                    + " once", file);
            if (!findings.failed()) {
                findings.observe("completed; " + seen.size() + " output lines, each custom_id once", file);
            }
        });
    }

    private static void cancelFinished(CheckContext context, Findings findings) {
        Optional<JsonNode> done = finished(context, findings);
        if (done.isEmpty() || !"completed".equals(done.get().path("status").asText())) {
            throw new NotApplicable("the batch did not complete (see batches.complete)");
        }
        String id = done.get().path("id").asText();
        Exchange cancel = context.probe().call("cancel a completed batch", "POST", "batches/" + id + "/cancel").send();
        findings.require(cancel.status() >= 400 && cancel.status() < 500, "cancelling a completed batch answers "
                + cancel.status() + ", not a 4xx", cancel);
        findings.require(CheckContext.errorObject(cancel).isPresent(), "the refusal has no error object", cancel);
        Exchange after = context.probe().get("retrieve the batch after cancelling", "batches/" + id).send();
        CheckContext.okJson(after, findings).ifPresent(b -> findings.require("completed".equals(
                b.path("status").asText()), "after the cancel the batch is " + b.path("status"), after));
        if (!findings.failed()) {
            findings.observe("refused with " + cancel.status() + "; still completed", cancel);
        }
    }

    private static void invalidInput(CheckContext context, Findings findings) {
        String model = context.options().model();
        byte[] bad = (line("good-1", model) + "\nthis line is not JSON\n" + line("good-1", model) + "\n")
                .getBytes(StandardCharsets.UTF_8);
        Exchange upload = uploadFile(context, "bad-input", "batch", "bad.jsonl", bad);
        Optional<JsonNode> file = CheckContext.okJson(upload, findings);
        if (file.isEmpty()) {
            return;
        }
        Exchange created = createBatch(context, "bad", file.get().path("id").asText());
        if (created.status() == 400) {
            // Refused at once: acceptable when it names the lines.
            String message = CheckContext.errorObject(created).map(e -> e.path("message").asText()).orElse("");
            findings.require(message.contains("2") && message.contains("3"), "the 400 does not name lines 2 and 3: "
                    + message, created);
            return;
        }
        Optional<JsonNode> batch = CheckContext.okJson(created, findings);
        if (batch.isEmpty()) {
            return;
        }
        Exchange end = awaitEnd(context, "bad", batch.get().path("id").asText());
        CheckContext.okJson(end, findings).ifPresent(b -> {
            if (!findings.require("failed".equals(b.path("status").asText()), "the batch ended " + b.path("status")
                    + ", not failed", end)) {
                return;
            }
            Set<Integer> lines = new TreeSet<>();
            b.path("errors").path("data").forEach(e -> lines.add(e.path("line").asInt(-1)));
            findings.require(lines.containsAll(List.of(2, 3)), "errors.data names lines " + lines
                    + ", expected 2 (not JSON) and 3 (a repeated custom_id)", end);
            if (!findings.failed()) {
                findings.observe("failed, naming lines " + lines, end);
            }
        });
    }
}
