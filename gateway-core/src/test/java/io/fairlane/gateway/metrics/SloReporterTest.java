package io.fairlane.gateway.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.gateway.http.RequestLog;
import io.fairlane.gateway.slo.RequestOutcome;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What the request path tells the SLO tracker about each kind of finished request. */
class SloReporterTest {

    private static final long MS = 1_000_000L;
    private static final long START = 5_000 * MS;

    /** A chat request of tenant acme on model m that ended with {@code status} after 900 ms. */
    private static RequestLog chat(int status) {
        RequestLog log = new RequestLog();
        log.tenant = "acme";
        log.model = "m";
        log.endpoint = "chat";
        log.status = status;
        log.durationNanos = 900 * MS;
        return log;
    }

    @Test
    void outcome_answeredStream_carriesTtftMeanGapQueueAndE2e() {
        RequestLog log = chat(200);
        log.queueNanos = 30 * MS;
        log.markToken(START + 100 * MS, START);
        log.markToken(START + 140 * MS, START);
        log.markToken(START + 220 * MS, START);
        assertThat(SloReporter.outcome(log)).contains(new RequestOutcome.Completed(Duration.ofMillis(900),
                Optional.of(Duration.ofMillis(100)), Optional.of(Duration.ofMillis(60)),
                Optional.of(Duration.ofMillis(30))));
    }

    @Test
    void outcome_answerWithOneToken_hasNoInterTokenLatency() {
        RequestLog log = chat(200);
        log.markToken(START + 100 * MS, START);
        assertThat(SloReporter.outcome(log).map(o -> ((RequestOutcome.Completed) o).interTokenLatency()))
                .contains(Optional.empty());
    }

    @Test
    void outcome_serverError_isFailedGeneration() {
        assertThat(SloReporter.outcome(chat(502))).contains(new RequestOutcome.Failed(true));
    }

    @Test
    void outcome_streamThatEndedInAnErrorEvent_isFailed() {
        RequestLog log = chat(200);
        log.markToken(START + 100 * MS, START);
        log.status = 500; // Exchange.fail during a stream logs the status its error maps to
        assertThat(SloReporter.outcome(log)).contains(new RequestOutcome.Failed(true));
    }

    @Test
    void outcome_upstreamTimeout_isFailed() {
        assertThat(SloReporter.outcome(chat(504))).contains(new RequestOutcome.Failed(true));
    }

    @Test
    void outcome_failedEmbedding_isFailedWithoutTokens() {
        RequestLog log = chat(503);
        log.endpoint = "embeddings";
        assertThat(SloReporter.outcome(log)).contains(new RequestOutcome.Failed(false));
    }

    @Test
    void outcome_upstreamsOwn429_isFailed() {
        RequestLog log = chat(429);
        log.upstreamThrottled = true;
        assertThat(SloReporter.outcome(log)).contains(new RequestOutcome.Failed(true));
    }

    @Test
    void outcome_tenantsOwnRateLimit_isNotReported() {
        assertThat(SloReporter.outcome(chat(429))).isEmpty();
    }

    @Test
    void outcome_invalidRequest_isNotReported() {
        assertThat(SloReporter.outcome(chat(400))).isEmpty();
    }

    @Test
    void outcome_clientLeft_isAbandonedWithWhatWasMeasured() {
        RequestLog log = chat(SloReporter.CLIENT_CLOSED);
        log.queueNanos = 10 * MS;
        assertThat(SloReporter.outcome(log)).contains(new RequestOutcome.Abandoned(Duration.ofMillis(900), true,
                Optional.empty(), Optional.empty(), Optional.of(Duration.ofMillis(10))));
    }

    @Test
    void outcome_modelListing_isNotReported() {
        RequestLog log = chat(200);
        log.endpoint = "models";
        assertThat(SloReporter.outcome(log)).isEmpty();
    }

    @Test
    void outcome_unauthenticatedRequest_isNotReported() {
        RequestLog log = chat(500);
        log.tenant = null;
        assertThat(SloReporter.outcome(log)).isEmpty();
    }

    @Test
    void outcome_requestThatNeverReachedAModel_isNotReported() {
        RequestLog log = chat(500);
        log.model = null;
        assertThat(SloReporter.outcome(log)).isEmpty();
    }
}
