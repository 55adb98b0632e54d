package io.fairlane.gateway.slo;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SloSpecTest {

    @Test
    void parse_ttftExpression_givesLatencySloWithDerivedName() {
        assertThat(SloSpec.parse("ttft <= 500ms for 99%")).isEqualTo(new SloSpec.Latency(
                "ttft_500ms", SloIndicator.TIME_TO_FIRST_TOKEN, Duration.ofMillis(500), 0.99));
    }

    @Test
    void parse_e2eInFractionalSeconds_givesMilliseconds() {
        assertThat(SloSpec.parse("E2E<=2.5s for 95.5 %")).isEqualTo(new SloSpec.Latency(
                "e2e_2500ms", SloIndicator.END_TO_END_LATENCY, Duration.ofMillis(2500), 0.955));
    }

    @Test
    void parse_availability_givesAvailabilitySlo() {
        assertThat(SloSpec.parse("availability 99.9%")).isEqualTo(new SloSpec.Availability("availability", 0.999));
    }

    @Test
    void expression_ofParsedSlo_parsesBackToTheSameSlo() {
        for (String text : new String[] {"ttft <= 1.5ms for 99.95%", "e2e <= 2m for 90%", "availability 99.9%"}) {
            SloSpec spec = SloSpec.parse(text);
            assertThat(SloSpec.parse(spec.expression())).as(text).isEqualTo(spec);
        }
    }

    @Test
    void parse_unknownIndicator_namesTheIndicator() {
        assertThatThrownBy(() -> SloSpec.parse("tpot <= 50ms for 99%"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'tpot'");
    }

    @Test
    void parse_objectiveOfHundredPercent_isRejected() {
        assertThatThrownBy(() -> SloSpec.parse("ttft <= 500ms for 100%"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("strictly between");
    }

    @Test
    void parse_zeroThreshold_isRejected() {
        assertThatThrownBy(() -> SloSpec.parse("ttft <= 0ms for 99%"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("threshold must be > 0");
    }

    @Test
    void parse_garbage_quotesTheExpectedForms() {
        assertThatThrownBy(() -> SloSpec.parse("fast please"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'fast please'").hasMessageContaining("ttft <= 500ms for 99%");
    }

    @Test
    void withName_labelUnsafeName_isRejected() {
        assertThatThrownBy(() -> SloSpec.parse("availability 99%").withName("a b"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'a b'");
    }

    @Test
    void classify_ttftAtThreshold_isGood() {
        SloSpec slo = SloSpec.parse("ttft <= 500ms for 99%");
        var outcome = RequestOutcome.Completed.generation(Duration.ofMillis(500), Duration.ofSeconds(3));
        assertThat(slo.classify(outcome)).isEqualTo(SloSpec.Classification.GOOD);
    }

    @Test
    void classify_ttftAboveThreshold_isBad() {
        SloSpec slo = SloSpec.parse("ttft <= 500ms for 99%");
        var outcome = RequestOutcome.Completed.generation(Duration.ofMillis(501), Duration.ofMillis(600));
        assertThat(slo.classify(outcome)).isEqualTo(SloSpec.Classification.BAD);
    }

    @Test
    void classify_failedGeneration_isBadForTtft() {
        assertThat(SloSpec.parse("ttft <= 500ms for 99%").classify(new RequestOutcome.Failed(true)))
                .isEqualTo(SloSpec.Classification.BAD);
    }

    @Test
    void classify_failedEmbedding_doesNotCountForTtft() {
        assertThat(SloSpec.parse("ttft <= 500ms for 99%").classify(new RequestOutcome.Failed(false)))
                .isEqualTo(SloSpec.Classification.NOT_APPLICABLE);
    }

    @Test
    void classify_embeddingWithoutTokens_doesNotCountForTtft() {
        var outcome = RequestOutcome.Completed.withoutTokens(Duration.ofMillis(5));
        assertThat(SloSpec.parse("ttft <= 500ms for 99%").classify(outcome))
                .isEqualTo(SloSpec.Classification.NOT_APPLICABLE);
    }

    @Test
    void classify_failedEmbedding_isBadForE2e() {
        assertThat(SloSpec.parse("e2e <= 1s for 99%").classify(new RequestOutcome.Failed(false)))
                .isEqualTo(SloSpec.Classification.BAD);
    }

    @Test
    void classify_slowStream_isBadForItl() {
        var outcome = RequestOutcome.Completed.generation(Duration.ofMillis(100), Duration.ofSeconds(9))
                .withInterTokenLatency(Duration.ofMillis(80));
        assertThat(SloSpec.parse("itl <= 50ms for 99%").classify(outcome)).isEqualTo(SloSpec.Classification.BAD);
    }

    @Test
    void classify_singleTokenAnswer_doesNotCountForItl() {
        var outcome = RequestOutcome.Completed.generation(Duration.ofMillis(100), Duration.ofMillis(100));
        assertThat(SloSpec.parse("itl <= 50ms for 99%").classify(outcome))
                .isEqualTo(SloSpec.Classification.NOT_APPLICABLE);
    }

    @Test
    void classify_shortQueueWait_isGoodForQueueTime() {
        var outcome = RequestOutcome.Completed.withoutTokens(Duration.ofSeconds(2)).withQueueTime(Duration.ofMillis(20));
        assertThat(SloSpec.parse("queue_time <= 100ms for 95%").classify(outcome))
                .isEqualTo(SloSpec.Classification.GOOD);
    }

    @Test
    void classify_failedEmbedding_isBadForQueueTime() {
        assertThat(SloSpec.parse("queue_time <= 100ms for 95%").classify(new RequestOutcome.Failed(false)))
                .isEqualTo(SloSpec.Classification.BAD);
    }

    @Test
    void of_structuredConfigParts_givesTheSameSloAsTheExpression() {
        assertThat(SloSpec.of("ttft_500ms", "ttft", Duration.ofMillis(500), 0.99))
                .isEqualTo(SloSpec.parse("ttft <= 500ms for 99%"));
    }

    @Test
    void of_errorsMetric_givesAvailabilitySlo() {
        assertThat(SloSpec.of("no-errors", "errors", Duration.ZERO, 0.999))
                .isEqualTo(new SloSpec.Availability("no-errors", 0.999));
    }

    @Test
    void of_unknownMetric_namesIt() {
        assertThatThrownBy(() -> SloSpec.of("x", "tpot", Duration.ofMillis(5), 0.9))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'tpot'");
    }

    @Test
    void classify_slowButAnsweredRequest_isGoodForAvailability() {
        var outcome = RequestOutcome.Completed.withoutTokens(Duration.ofMinutes(5));
        assertThat(SloSpec.parse("availability 99.9%").classify(outcome)).isEqualTo(SloSpec.Classification.GOOD);
    }

    @Test
    void classify_clientLeftPastTtftThresholdWithoutAToken_isBad() {
        var outcome = RequestOutcome.Abandoned.after(Duration.ofSeconds(2), true);
        assertThat(SloSpec.parse("ttft <= 500ms for 99%").classify(outcome)).isEqualTo(SloSpec.Classification.BAD);
    }

    @Test
    void classify_clientLeftBeforeTtftThresholdWithoutAToken_doesNotCount() {
        var outcome = RequestOutcome.Abandoned.after(Duration.ofMillis(200), true);
        assertThat(SloSpec.parse("ttft <= 500ms for 99%").classify(outcome))
                .isEqualTo(SloSpec.Classification.NOT_APPLICABLE);
    }

    @Test
    void classify_clientLeftAfterAFastFirstToken_isGoodForTtft() {
        var outcome = new RequestOutcome.Abandoned(Duration.ofSeconds(9), true, Optional.of(Duration.ofMillis(90)),
                Optional.empty(), Optional.empty());
        assertThat(SloSpec.parse("ttft <= 500ms for 99%").classify(outcome)).isEqualTo(SloSpec.Classification.GOOD);
    }

    @Test
    void classify_clientLeftPastE2eThreshold_isBad() {
        var outcome = RequestOutcome.Abandoned.after(Duration.ofSeconds(31), true);
        assertThat(SloSpec.parse("e2e <= 30s for 99%").classify(outcome)).isEqualTo(SloSpec.Classification.BAD);
    }

    @Test
    void classify_clientLeftBeforeE2eThreshold_doesNotCount() {
        var outcome = new RequestOutcome.Abandoned(Duration.ofSeconds(1), true, Optional.of(Duration.ofMillis(90)),
                Optional.empty(), Optional.empty());
        assertThat(SloSpec.parse("e2e <= 30s for 99%").classify(outcome))
                .isEqualTo(SloSpec.Classification.NOT_APPLICABLE);
    }

    @Test
    void classify_clientLeftWhileStillQueuedPastThreshold_isBadForQueueTime() {
        var outcome = RequestOutcome.Abandoned.after(Duration.ofSeconds(1), false);
        assertThat(SloSpec.parse("queue_time <= 100ms for 95%").classify(outcome))
                .isEqualTo(SloSpec.Classification.BAD);
    }

    @Test
    void classify_clientLeftLongBeforeASecondToken_doesNotCountForItl() {
        var outcome = RequestOutcome.Abandoned.after(Duration.ofSeconds(5), true);
        assertThat(SloSpec.parse("itl <= 50ms for 99%").classify(outcome))
                .isEqualTo(SloSpec.Classification.NOT_APPLICABLE);
    }

    @Test
    void classify_clientLeftAfterSlowTokens_isBadForItl() {
        var outcome = new RequestOutcome.Abandoned(Duration.ofSeconds(5), true, Optional.of(Duration.ofMillis(90)),
                Optional.of(Duration.ofMillis(400)), Optional.empty());
        assertThat(SloSpec.parse("itl <= 50ms for 99%").classify(outcome)).isEqualTo(SloSpec.Classification.BAD);
    }

    @Test
    void classify_clientLeftEmbedding_doesNotCountForTtft() {
        var outcome = RequestOutcome.Abandoned.after(Duration.ofSeconds(5), false);
        assertThat(SloSpec.parse("ttft <= 500ms for 99%").classify(outcome))
                .isEqualTo(SloSpec.Classification.NOT_APPLICABLE);
    }

    @Test
    void classify_clientLeft_neverCountsForAvailability() {
        var outcome = RequestOutcome.Abandoned.after(Duration.ofMinutes(5), true);
        assertThat(SloSpec.parse("availability 99.9%").classify(outcome))
                .isEqualTo(SloSpec.Classification.NOT_APPLICABLE);
    }
}
