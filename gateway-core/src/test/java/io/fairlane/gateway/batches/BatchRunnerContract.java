package io.fairlane.gateway.batches;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fairlane.gateway.config.BatchesConfig;
import io.fairlane.gateway.files.FileObject;
import io.fairlane.gateway.files.FileStore;
import io.fairlane.gateway.http.Json;
import io.fairlane.gateway.metrics.BatchMeters;
import io.fairlane.gateway.store.Blob;
import io.fairlane.gateway.store.Database;
import io.fairlane.gateway.store.StoreBackend;
import io.fairlane.gateway.store.StoreSettings;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The batch runner against a store, with scripted line answers: every line answered exactly once, retries by the
 * rules of {@link LineOutcomes}, cancel and expiry, and (where the store is shared) replicas that split the work
 * and take over a dead one's lines. One subclass per database.
 */
abstract class BatchRunnerContract {

    static final BatchesConfig CONFIG = new BatchesConfig(50_000, 200_000_000, 8, 64, 3, Duration.ofSeconds(1));

    abstract StoreBackend backend();

    StoreSettings settings;
    final List<AutoCloseable> open = new ArrayList<>();
    final ScriptedLines lines = new ScriptedLines();

    @BeforeEach
    void newStore() {
        settings = backend().newStore();
    }

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            try {
                c.close();
            } catch (RuntimeException e) {
                // a test may have closed it already
            }
        }
        lines.close();
    }

    /** A gateway process's batch feature on the test's store ("a replica"). */
    record Replica(Database database, FileStore files, Batches batches) {
    }

    Replica replica(LineDispatcher dispatcher) {
        Database db = backend().open(settings);
        open.add(db);
        FileStore files = FileStore.open(db);
        Batches batches = Batches.start(db, files, dispatcher, model -> model.equals("m"), () -> CONFIG, 1 << 20,
                BatchMeters.detached());
        open.add(batches);
        return new Replica(db, files, batches);
    }

    static String line(String customId, String marker) {
        return "{\"custom_id\":\"" + customId + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":"
                + "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"" + marker + " " + customId
                + "\"}]}}";
    }

    static Batch submit(Replica r, List<String> input, long windowMillis) throws Exception {
        byte[] bytes = (String.join("\n", input) + "\n").getBytes(StandardCharsets.UTF_8);
        Blob blob = r.files().blobs().write(new ByteArrayInputStream(bytes));
        FileObject file = r.files().record("t", blob, "in.jsonl", "batch", OptionalLong.empty(), -1);
        long now = System.currentTimeMillis();
        Batch b = new Batch(io.fairlane.gateway.files.Ids.random("batch_"), "t", Batch.Status.VALIDATING,
                "/v1/chat/completions", file.id(), "24h", "flex", Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), OptionalLong.empty(), new Batch.Counts(0, 0, 0), Batch.Usage.NONE,
                new Batch.Times(now, now + windowMillis, OptionalLong.empty(), OptionalLong.empty(),
                        OptionalLong.empty(), OptionalLong.empty(), OptionalLong.empty(), OptionalLong.empty(),
                        OptionalLong.empty()));
        r.batches().store().create(b);
        r.batches().wake();
        return b;
    }

    static Batch await(Replica r, Batch b, Batch.Status... statuses) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        Batch now = b;
        while (System.nanoTime() < deadline) {
            now = r.batches().store().find(b.id()).orElseThrow();
            if (List.of(statuses).contains(now.status())) {
                return now;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("batch still " + now.status() + " " + now.counts());
    }

    static List<JsonNode> content(Replica r, Optional<String> fileId) throws Exception {
        if (fileId.isEmpty()) {
            return List.of();
        }
        FileObject f = r.files().find("t", fileId.get()).orElseThrow();
        List<JsonNode> out = new ArrayList<>();
        try (InputStream in = r.files().open(f)) {
            for (String l : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                out.add(Json.MAPPER.readTree(l));
            }
        }
        return out;
    }

    static Map<String, Long> countByCustomId(List<JsonNode> lines) {
        return lines.stream().collect(Collectors.groupingBy(l -> l.get("custom_id").asText(), Collectors.counting()));
    }

    @Test
    void run_manyLines_answersEachOnceInInputOrder() throws Exception {
        Replica r = replica(lines);
        List<String> input = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            input.add(line("c" + i, "ok"));
        }
        Batch done = await(r, submit(r, input, 60_000), Batch.Status.COMPLETED);
        assertThat(done.counts()).isEqualTo(new Batch.Counts(300, 300, 0));
        assertThat(done.usage().inputTokens()).isEqualTo(900);
        List<JsonNode> out = content(r, done.outputFileId());
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            expected.add("c" + i);
        }
        assertThat(out).extracting(l -> l.get("custom_id").asText()).containsExactlyElementsOf(expected);
        assertThat(done.errorFileId()).isEmpty();
        assertThat(lines.dispatched.get()).isEqualTo(300);
    }

    @Test
    void run_refusedWith429_waitsAndRetriesWithoutUsingAttempts() throws Exception {
        Replica r = replica(lines);
        Batch done = await(r, submit(r, List.of(line("a", "busy5")), 60_000), Batch.Status.COMPLETED);
        assertThat(done.counts().completed()).isEqualTo(1);
        assertThat(lines.dispatched.get()).isEqualTo(6);
    }

    @Test
    void run_serverErrors_triesMaxAttemptsThenWritesTheError() throws Exception {
        Replica r = replica(lines);
        Batch done = await(r, submit(r, List.of(line("a", "e500"), line("b", "e400"), line("c", "ok")), 60_000),
                Batch.Status.COMPLETED);
        assertThat(done.counts()).isEqualTo(new Batch.Counts(3, 1, 2));
        List<JsonNode> errors = content(r, done.errorFileId());
        Function<String, JsonNode> byId = id -> errors.stream().filter(l -> l.get("custom_id").asText().equals(id))
                .findFirst().orElseThrow();
        assertThat(byId.apply("a").get("response").get("status_code").asInt()).isEqualTo(500);
        assertThat(byId.apply("b").get("response").get("status_code").asInt()).isEqualTo(400);
        assertThat(lines.tries.entrySet().stream().filter(e -> e.getKey().contains("e500")).findFirst().orElseThrow()
                .getValue().get()).isEqualTo(CONFIG.maxAttempts());
        assertThat(lines.tries.entrySet().stream().filter(e -> e.getKey().contains("e400")).findFirst().orElseThrow()
                .getValue().get()).isEqualTo(1);
    }

    @Test
    void cancel_whileLinesHang_endsCancelledKeepingFinishedLines() throws Exception {
        Replica r = replica(lines);
        List<String> input = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            input.add(line("done" + i, "ok"));
        }
        for (int i = 0; i < 20; i++) {
            input.add(line("stuck" + i, "hang"));
        }
        Batch b = submit(r, input, 60_000);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (r.batches().store().find(b.id()).orElseThrow().counts().completed() < 5 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        r.batches().store().cancel("t", b.id(), System.currentTimeMillis());
        r.batches().wake();
        Batch done = await(r, b, Batch.Status.CANCELLED);
        assertThat(content(r, done.outputFileId())).hasSize(5);
        List<JsonNode> errors = content(r, done.errorFileId());
        assertThat(errors).hasSize(20).allSatisfy(l -> assertThat(l.get("error").get("code").asText())
                .isEqualTo("batch_cancelled"));
        assertThat(lines.cancelled.get()).isEqualTo(CONFIG.maxInFlightPerBatch());
    }

    @Test
    void expiry_ofTheWindow_endsExpiredWithUnrunLinesAsErrors() throws Exception {
        Replica r = replica(lines);
        Batch done = await(r, submit(r, List.of(line("a", "ok"), line("b", "hang")), 1500), Batch.Status.EXPIRED);
        assertThat(done.times().expiredAt()).isPresent();
        assertThat(countByCustomId(content(r, done.outputFileId()))).containsOnlyKeys("a");
        List<JsonNode> errors = content(r, done.errorFileId());
        assertThat(errors).singleElement().satisfies(l -> {
            assertThat(l.get("custom_id").asText()).isEqualTo("b");
            assertThat(l.get("error").get("code").asText()).isEqualTo("batch_expired");
        });
    }

    @Test
    void restart_afterLinesWereLeftRunning_answersEveryLineOnce() throws Exception {
        List<String> input = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            input.add(line("c" + i, "ok"));
        }
        ScriptedLines hanging = new ScriptedLines();
        Batch b;
        try {
            // A process whose lines never answer, then lost without putting them back: its database goes away
            // under it, as with a crash, and its leases are left to lapse.
            Replica dead = replica((t, tier, e, body) -> hanging.dispatch(t, tier, e,
                    new String(body, StandardCharsets.UTF_8).replace(" ok ", " hang ").getBytes(StandardCharsets.UTF_8)));
            b = submit(dead, input, 60_000);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (hanging.dispatched.get() < CONFIG.maxInFlightPerBatch() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            dead.database().close();
            dead.batches().close();
        } finally {
            hanging.close();
        }
        Replica next = replica(lines);
        Batch done = await(next, b, Batch.Status.COMPLETED);
        assertThat(done.counts()).isEqualTo(new Batch.Counts(40, 40, 0));
        assertThat(countByCustomId(content(next, done.outputFileId()))).hasSize(40)
                .allSatisfy((id, n) -> assertThat(n).isEqualTo(1));
    }
}
