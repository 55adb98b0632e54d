package io.fairlane.scheduler;

import static io.fairlane.scheduler.Schedulers.cost;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ConcurrencyCapacityTest {

    private final ManualTicker ticker = new ManualTicker();

    @Test
    void fits_allSlotsTaken_isFalse() {
        ConcurrencyCapacity<String> c = ConcurrencyCapacity.of(2);
        c.acquire(cost(1, 1));
        c.acquire(cost(1, 1));

        assertThat(c.fits("x", cost(1, 1))).isFalse();
    }

    @Test
    void release_afterAcquire_freesTheSlot() {
        ConcurrencyCapacity<String> c = ConcurrencyCapacity.of(1);
        c.acquire(cost(1, 1));
        c.release(cost(1, 1), new ActualCost(1, 0, 1));

        assertThat(c.fits("x", cost(1, 1))).isTrue();
    }

    @Test
    void release_withoutAcquire_isRefused() {
        ConcurrencyCapacity<String> c = ConcurrencyCapacity.of(1);

        assertThatThrownBy(() -> c.release(cost(1, 1), ActualCost.NONE)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void fits_tokenBucketSpent_isFalseUntilItRefills() {
        ConcurrencyCapacity<String> c = ConcurrencyCapacity.of(10, 100, 1000, ticker);
        c.acquire(cost(500, 500));

        assertThat(c.fits("x", cost(50, 50))).isFalse();
    }

    @Test
    void fits_tokenBucketAfterRefillTime_isTrue() {
        ConcurrencyCapacity<String> c = ConcurrencyCapacity.of(10, 100, 1000, ticker);
        c.acquire(cost(500, 500));
        ticker.advanceMillis(1000);

        assertThat(c.fits("x", cost(50, 50))).isTrue();
    }

    @Test
    void release_usedLessThanReserved_givesBackTheRest() {
        ConcurrencyCapacity<String> c = ConcurrencyCapacity.of(10, 100, 1000, ticker);
        c.acquire(cost(100, 900));
        c.release(cost(100, 900), new ActualCost(100, 0, 100));

        assertThat(c.timeUntilTokens(800)).isEqualTo(Duration.ZERO);
    }

    @Test
    void fits_requestLargerThanTheBucketWhenBucketIsFull_isTrue() {
        ConcurrencyCapacity<String> c = ConcurrencyCapacity.of(10, 100, 1000, ticker);

        assertThat(c.fits("x", cost(4000, 4000))).isTrue();
    }

    @Test
    void slots_reportsMaxConcurrent() {
        assertThat(ConcurrencyCapacity.<String>of(4).slots()).isEqualTo(4);
    }
}
