package io.fairlane.gateway.idempotency;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.gateway.config.IdempotencyConfig;
import io.fairlane.scheduler.Ticker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** The store's rules on virtual time: replay, conflict, waiting, abandonment, the window and the bounds. */
class IdempotencyStoreTest {

    private static final byte[] BODY_A = "A".getBytes(StandardCharsets.UTF_8);
    private static final byte[] BODY_B = "B".getBytes(StandardCharsets.UTF_8);

    private long now = 1_000_000_000L;
    private final Ticker ticker = () -> now;
    private final List<Optional<StoredResponse>> told = new ArrayList<>();
    private final Consumer<Optional<StoredResponse>> waiter = told::add;

    private IdempotencyStore store(int maxKeys, long maxBytes, long maxResponse) {
        return new IdempotencyStore(new IdempotencyConfig(true, Duration.ofHours(1), maxKeys, maxBytes, maxResponse),
                ticker);
    }

    private IdempotencyStore store() {
        return store(8, 1000, 100);
    }

    private static StoredResponse response(int size) {
        return new StoredResponse(200, "application/json", false, new byte[size]);
    }

    private static IdempotencyStore.Attempt run(IdempotencyStore.Claim claim) {
        return ((IdempotencyStore.Run) claim).pending();
    }

    @Test
    void claim_newKey_runsTheRequest() {
        assertThat(store().claim("t", "k", BODY_A, waiter)).isInstanceOf(IdempotencyStore.Run.class);
    }

    @Test
    void claim_sameKeyAndRequestAfterStore_replaysTheStoredResponse() {
        IdempotencyStore s = store();
        StoredResponse r = response(10);
        run(s.claim("t", "k", BODY_A, waiter)).store(r);

        assertThat(s.claim("t", "k", BODY_A, waiter)).isEqualTo(new IdempotencyStore.Replay(r));
    }

    @Test
    void claim_sameKeyOtherRequest_conflicts() {
        IdempotencyStore s = store();
        run(s.claim("t", "k", BODY_A, waiter)).store(response(10));

        assertThat(s.claim("t", "k", BODY_B, waiter)).isInstanceOf(IdempotencyStore.Conflict.class);
    }

    @Test
    void claim_sameKeyOtherRequestWhileInFlight_conflicts() {
        IdempotencyStore s = store();
        s.claim("t", "k", BODY_A, waiter);

        assertThat(s.claim("t", "k", BODY_B, waiter)).isInstanceOf(IdempotencyStore.Conflict.class);
    }

    @Test
    void claim_sameKeyInAnotherTenant_runsOnItsOwn() {
        IdempotencyStore s = store();
        run(s.claim("t", "k", BODY_A, waiter)).store(response(10));

        assertThat(s.claim("other", "k", BODY_A, waiter)).isInstanceOf(IdempotencyStore.Run.class);
    }

    @Test
    void claim_whileTheFirstAttemptRuns_waitsAndIsToldItsResponse() {
        IdempotencyStore s = store();
        IdempotencyStore.Attempt first = run(s.claim("t", "k", BODY_A, waiter));
        IdempotencyStore.Claim second = s.claim("t", "k", BODY_A, waiter);
        StoredResponse r = response(10);
        first.store(r);

        assertThat(List.of(second, told)).containsExactly(new IdempotencyStore.Wait(), List.of(Optional.of(r)));
    }

    @Test
    void abandon_firstAttemptFailed_waiterIsToldToClaimAgainAndTheKeyRunsAgain() {
        IdempotencyStore s = store();
        IdempotencyStore.Attempt first = run(s.claim("t", "k", BODY_A, waiter));
        s.claim("t", "k", BODY_A, waiter);
        first.abandon();

        assertThat(List.of(told, s.claim("t", "k", BODY_A, waiter).getClass()))
                .containsExactly(List.of(Optional.empty()), IdempotencyStore.Run.class);
    }

    @Test
    void claim_afterTheWindow_runsAgain() {
        IdempotencyStore s = store();
        run(s.claim("t", "k", BODY_A, waiter)).store(response(10));
        now += Duration.ofHours(1).toNanos();

        assertThat(s.claim("t", "k", BODY_A, waiter)).isInstanceOf(IdempotencyStore.Run.class);
    }

    @Test
    void store_beyondTheTenantsBytes_forgetsTheOldestStoredFirst() {
        IdempotencyStore s = store(8, 250, 100);
        for (String key : List.of("k1", "k2", "k3")) {
            run(s.claim("t", key, BODY_A, waiter)).store(response(100));
        }

        assertThat(List.of(s.storedBytes("t"), s.claim("t", "k1", BODY_A, waiter).getClass()))
                .containsExactly(200L, IdempotencyStore.Run.class);
    }

    @Test
    void store_responseLargerThanTheLimit_isNotKept() {
        IdempotencyStore s = store(8, 1000, 100);
        run(s.claim("t", "k", BODY_A, waiter)).store(response(101));

        assertThat(s.claim("t", "k", BODY_A, waiter)).isInstanceOf(IdempotencyStore.Run.class);
    }

    @Test
    void claim_beyondMaxKeys_forgetsTheOldestStoredKey() {
        IdempotencyStore s = store(2, 1000, 100);
        run(s.claim("t", "k1", BODY_A, waiter)).store(response(1));
        run(s.claim("t", "k2", BODY_A, waiter)).store(response(1));
        s.claim("t", "k3", BODY_A, waiter);

        assertThat(s.keys("t")).isEqualTo(2);
    }

    @Test
    void claim_everyKeyInFlight_servesUntracked() {
        IdempotencyStore s = store(2, 1000, 100);
        s.claim("t", "k1", BODY_A, waiter);
        s.claim("t", "k2", BODY_A, waiter);

        assertThat(s.claim("t", "k3", BODY_A, waiter)).isInstanceOf(IdempotencyStore.Untracked.class);
    }
}
