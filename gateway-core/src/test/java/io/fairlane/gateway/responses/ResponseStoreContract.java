package io.fairlane.gateway.responses;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.gateway.config.ResponsesConfig;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link ResponseStore} must do, run against each one (in memory, embedded SQLite, PostgreSQL): tenants
 * apart, bounds by count and bytes with the oldest going first, the time to live, deletes, and reads that see
 * writes at once.
 */
public abstract class ResponseStoreContract {

    /** Each response below counts 100 bytes; a tenant keeps 3 responses or 250 bytes; one may be 120 bytes. */
    static final ResponsesConfig CONFIG = new ResponsesConfig(3, 250, 120, Duration.ofHours(1));

    protected final AtomicLong now = new AtomicLong(1_000_000);
    private final List<ResponseStore> opened = new ArrayList<>();

    /** A new, empty store with these bounds and clock. */
    protected abstract ResponseStore create(ResponsesConfig config, LongSupplier clock) throws Exception;

    protected ResponseStore store() throws Exception {
        ResponseStore s = create(CONFIG, now::get);
        opened.add(s);
        return s;
    }

    @AfterEach
    void closeStores() {
        opened.forEach(ResponseStore::close);
    }

    /** A response of 100 bytes (20 of JSON, 80 of items), created now. */
    protected StoredResponse response(String tenant, String id) {
        return response(tenant, id, 100);
    }

    /** A response of {@code size} bytes (20 of JSON, the rest items), created now. */
    protected StoredResponse response(String tenant, String id, int size) {
        long created = now.getAndIncrement();
        return new StoredResponse(tenant, id, "m", created, created + CONFIG.ttl().toMillis(),
                pad("{\"id\":\"" + id + "\"}", 20), pad("[]", size - 20));
    }

    private static byte[] pad(String json, int size) {
        return (json + " ".repeat(size - json.length())).getBytes(StandardCharsets.UTF_8);
    }

    protected static Optional<StoredResponse> get(ResponseStore s, String tenant, String id) throws Exception {
        return s.get(tenant, id).get();
    }

    @Test
    void get_afterPut_returnsItAtOnce() throws Exception {
        ResponseStore s = store();
        StoredResponse r = response("a", "resp_1");

        assertThat(s.put(r)).isTrue();

        assertThat(get(s, "a", "resp_1")).get().satisfies(found -> {
            assertThat(found.response()).isEqualTo(r.response());
            assertThat(found.items()).isEqualTo(r.items());
        });
    }

    @Test
    void get_anotherTenantsId_isEmpty() throws Exception {
        ResponseStore s = store();
        s.put(response("a", "resp_1"));
        s.flush();

        assertThat(get(s, "b", "resp_1")).isEmpty();
        assertThat(s.delete("b", "resp_1").get()).isFalse();
        assertThat(get(s, "a", "resp_1")).isPresent();
    }

    @Test
    void put_pastTheCount_evictsTheTenantsOldestFirst() throws Exception {
        ResponseStore s = store();
        s.put(response("other", "resp_0", 50));
        for (int i = 1; i <= 3; i++) {
            s.put(response("a", "resp_" + i, 50));
        }
        s.put(response("a", "resp_4", 50)); // a fourth of 200 bytes: past the count, within the bytes
        s.flush();

        assertThat(get(s, "a", "resp_1")).isEmpty();
        assertThat(get(s, "a", "resp_2")).isPresent();
        assertThat(get(s, "a", "resp_4")).isPresent();
        assertThat(get(s, "other", "resp_0")).as("another tenant's bounds are its own").isPresent();
    }

    @Test
    void put_pastTheBytes_evictsTheOldest() throws Exception {
        ResponseStore s = store();
        s.put(response("a", "resp_1"));
        s.put(response("a", "resp_2"));
        s.put(response("a", "resp_3")); // 300 bytes > 250
        s.flush();

        assertThat(get(s, "a", "resp_1")).isEmpty();
        assertThat(get(s, "a", "resp_2")).isPresent();
        assertThat(get(s, "a", "resp_3")).isPresent();
    }

    @Test
    void put_largerThanOneResponseMayBe_isRefused() throws Exception {
        ResponseStore s = store();
        StoredResponse big = new StoredResponse("a", "resp_big", "m", now.get(), now.get() + 1000, new byte[100],
                new byte[21]);

        assertThat(s.put(big)).isFalse();
        s.flush();
        assertThat(get(s, "a", "resp_big")).isEmpty();
    }

    @Test
    void get_pastItsTimeToLive_isEmpty() throws Exception {
        ResponseStore s = store();
        s.put(response("a", "resp_1"));
        s.flush();

        now.addAndGet(CONFIG.ttl().toMillis() + 1);

        assertThat(get(s, "a", "resp_1")).isEmpty();
    }

    @Test
    void delete_removesIt_onceOnly() throws Exception {
        ResponseStore s = store();
        s.put(response("a", "resp_1"));

        assertThat(s.delete("a", "resp_1").get()).isTrue();
        assertThat(get(s, "a", "resp_1")).isEmpty();
        s.flush();
        assertThat(get(s, "a", "resp_1")).isEmpty();
        assertThat(s.delete("a", "resp_1").get()).isFalse();
    }

    @Test
    void put_sameIdAgain_replacesIt() throws Exception {
        ResponseStore s = store();
        s.put(response("a", "resp_1"));
        StoredResponse again = new StoredResponse("a", "resp_1", "m2", now.get(), now.get() + 1000, new byte[10],
                new byte[10]);

        s.put(again);
        s.flush();

        assertThat(get(s, "a", "resp_1")).get().extracting(StoredResponse::model).isEqualTo("m2");
    }
}
