package io.fairlane.gateway.slo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.fairlane.gateway.testing.ManualTicker;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class BurnRateTrackerTest {

    private final ManualTicker ticker = new ManualTicker();
    private final BurnRateTracker tracker = new BurnRateTracker(ticker);

    /** Records {@code good} and {@code bad} events once per second-tick for {@code duration}. */
    private void traffic(Duration duration, int goodPerSecond, int badPerSecond) {
        for (long s = 0; s < duration.toSeconds(); s++) {
            for (int i = 0; i < goodPerSecond; i++) {
                tracker.record(true);
            }
            for (int i = 0; i < badPerSecond; i++) {
                tracker.record(false);
            }
            ticker.advance(Duration.ofSeconds(1));
        }
    }

    @Test
    void burnRate_noEvents_isZero() {
        assertThat(tracker.burnRate(BurnWindow.FIVE_MINUTES, 0.99)).isZero();
    }

    @Test
    void burnRate_allBad_isOneOverBudget() {
        traffic(Duration.ofMinutes(10), 0, 1);
        assertThat(tracker.burnRate(BurnWindow.FIVE_MINUTES, 0.99)).isCloseTo(100, within(1e-9));
    }

    @Test
    void burnRate_twoPercentBadAgainstNinetyNine_isTwo() {
        traffic(Duration.ofMinutes(10), 49, 1);
        assertThat(tracker.burnRate(BurnWindow.THIRTY_MINUTES, 0.99)).isCloseTo(2, within(1e-9));
    }

    @Test
    void counts_fiveMinuteWindow_excludesOlderEvents() {
        traffic(Duration.ofMinutes(10), 0, 1);   // bad
        traffic(Duration.ofMinutes(5), 1, 0);    // then good
        assertThat(tracker.counts(BurnWindow.FIVE_MINUTES).bad()).isZero();
    }

    @Test
    void counts_oneHourWindow_keepsEventsOlderThanFiveMinutes() {
        traffic(Duration.ofMinutes(10), 0, 1);
        traffic(Duration.ofMinutes(5), 1, 0);
        assertThat(tracker.counts(BurnWindow.ONE_HOUR)).isEqualTo(new WindowCounts(300, 600));
    }

    @Test
    void counts_fiveMinuteWindow_coversAtLeastWindowMinusOneBucket() {
        traffic(Duration.ofMinutes(6), 1, 0);
        long events = tracker.counts(BurnWindow.FIVE_MINUTES).total();
        assertThat(events).isBetween(290L, 300L);
    }

    @Test
    void counts_afterSixHoursOfSilence_areEmpty() {
        traffic(Duration.ofMinutes(1), 0, 5);
        ticker.advance(Duration.ofHours(6));
        assertThat(tracker.counts(BurnWindow.SIX_HOURS)).isEqualTo(WindowCounts.EMPTY);
    }

    @Test
    void counts_silenceLongerThanTheRing_thenNewEvents_countOnlyTheNewOnes() {
        traffic(Duration.ofMinutes(1), 0, 5);
        ticker.advance(Duration.ofHours(13));   // wraps the ring more than twice
        traffic(Duration.ofSeconds(3), 1, 0);
        assertThat(tracker.counts(BurnWindow.SIX_HOURS)).isEqualTo(new WindowCounts(3, 0));
    }

    @Test
    void counts_sixHourWindow_holdsSixHoursOfEvents() {
        for (int minute = 0; minute < 6 * 60; minute++) {
            tracker.record(false);
            ticker.advance(Duration.ofMinutes(1));
        }
        // The oldest minute's event now lies exactly one window back and has just rolled out.
        assertThat(tracker.counts(BurnWindow.SIX_HOURS).bad()).isEqualTo(359);
    }

    @Test
    void constructor_widthNotDividingWindows_isRejected() {
        assertThatThrownBy(() -> new BurnRateTracker(ticker, Duration.ofSeconds(7)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must divide the 5m window");
    }

    @Test
    void burnRate_objectiveOutOfRange_isRejected() {
        assertThatThrownBy(() -> tracker.burnRate(BurnWindow.ONE_HOUR, 1.0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("objective");
    }
}
