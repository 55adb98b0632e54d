package io.fairlane.gateway.lane.upstream;

import static io.fairlane.gateway.testing.FaultyUpstream.FINISH;
import static io.fairlane.gateway.testing.FaultyUpstream.chunk;
import static io.fairlane.gateway.testing.FaultyUpstream.cleanEnd;
import static io.fairlane.gateway.testing.FaultyUpstream.endChunks;
import static io.fairlane.gateway.testing.FaultyUpstream.headThenStall;
import static io.fairlane.gateway.testing.FaultyUpstream.httpChunk;
import static io.fairlane.gateway.testing.FaultyUpstream.malformedEvent;
import static io.fairlane.gateway.testing.FaultyUpstream.ok;
import static io.fairlane.gateway.testing.FaultyUpstream.resetBeforeHead;
import static io.fairlane.gateway.testing.FaultyUpstream.resetNow;
import static io.fairlane.gateway.testing.FaultyUpstream.silent;
import static io.fairlane.gateway.testing.FaultyUpstream.slow;
import static io.fairlane.gateway.testing.FaultyUpstream.stall;
import static io.fairlane.gateway.testing.FaultyUpstream.status;
import static io.fairlane.gateway.testing.FaultyUpstream.streamHead;
import static io.fairlane.gateway.testing.FaultyUpstream.twoChunksThen;
import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.gateway.lane.routing.RoutingSnapshot;
import io.fairlane.gateway.testing.FaultyUpstream;
import io.fairlane.gateway.testing.RoutingGateway;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The sixteen injected faults of the failover benchmark, each against its own model and fault-injecting upstream,
 * with the outcome a client sees and the time it may take. Bounds are generous (a loaded two-core CI machine runs
 * this): they tell an answer after one timeout from a hang or a loop of retries, not a fast run from a slow one.
 * Timeouts here: connect, first byte and between chunks 1 s.
 */
class FaultSuiteTest {

    private static final String TIMEOUTS = "{connect: 1s, first_byte: 1s, between_chunks: 1s, total: 20s}";
    private static final Map<String, FaultyUpstream> UP = new LinkedHashMap<>();
    private static RoutingGateway gateway;

    private static FaultyUpstream up(String name, FaultyUpstream.Script standing) throws Exception {
        FaultyUpstream u = new FaultyUpstream(standing);
        UP.put(name, u);
        return u;
    }

    /** A model with a primary and a fallback group, one target each, named {@code <model>-p} and {@code <model>-f}. */
    private static String pair(String model, String extra) {
        return """
                  - id: %1$s
                    upstream:
                      timeouts: %2$s
                      groups:
                        - {name: primary, targets: [{name: %1$s-p, url: "%3$s", model: upstream-name}]}
                        - {name: fallback, targets: [{name: %1$s-f, url: "%4$s", model: upstream-name}]}
                %5$s
                """.formatted(model, TIMEOUTS, UP.get(model + "-p").url(), UP.get(model + "-f").url(),
                extra.isEmpty() ? "" : "      " + extra);
    }

    private static String single(String model, String extra) {
        return """
                  - id: %1$s
                    upstream:
                      timeouts: %2$s
                      targets: [{name: %1$s-s, url: "%3$s", model: upstream-name}]
                %4$s
                """.formatted(model, TIMEOUTS, UP.get(model + "-s").url(), extra.isEmpty() ? "" : "      " + extra);
    }

    @BeforeAll
    static void start() throws Exception {
        up("r429-s", ok());
        up("r429p-p", status(429, "rate_limit_exceeded", "slow down", "retry-after: 30"));
        up("r429p-f", ok());
        up("r503-p", status(503, null, "overloaded"));
        up("r503-f", ok());
        up("r503solo-s", status(503, null, "overloaded"));
        up("rreset-p", resetBeforeHead());
        up("rreset-f", ok());
        up("rsilent-p", silent());
        up("rsilent-f", ok());
        up("rheadstall-p", headThenStall());
        up("rheadstall-f", ok());
        up("rslow-p", slow(400));
        up("rslow-f", ok());
        up("rcut-s", twoChunksThen(resetNow()));
        up("rstall-s", twoChunksThen(stall()));
        up("rmalformed-s", twoChunksThen(malformedEvent()));
        up("rmalfirst-p", (s, out, body) -> {
            streamHead(out);
            malformedEvent().answer(s, out, body);
        });
        up("rmalfirst-f", ok());
        up("rnodone-s", twoChunksThen(cleanEnd()));
        up("rfinished-s", (s, out, body) -> {
            streamHead(out);
            httpChunk(out, chunk("Hi") + FINISH);
            endChunks(out);
        });
        up("rcontext-p", status(400, "context_length_exceeded", "This model's maximum context length is 8192 tokens."));
        up("rcontext-f", ok());
        up("rctxfb-p", status(400, "context_length_exceeded", "This model's maximum context length is 8192 tokens."));
        up("rctxfb-f", ok());
        up("rfilter-p", status(400, "content_filter", "The response was filtered due to the prompt."));
        up("rfilter-f", ok());
        up("rshape-p", status(503, null, "overloaded"));
        up("rshape-f", status(400, "unsupported_parameter", "tools are not supported by this model"));
        up("rflap-p", (s, out, body) -> {
            if ((System.nanoTime() / 700_000_000L) % 2 == 0) {
                ok().answer(s, out, body);
            } else {
                FaultyUpstream.reset(s);
            }
        });
        up("rflap-f", ok());
        up("raccount-p", status(503, null, "overloaded"));
        up("raccount-f", ok());
        String models = single("r429", "retry: {max_retry_after: 2s}")
                + pair("r429p", "")
                + pair("r503", "breaker: {consecutive_failures: 2}")
                + single("r503solo", "")
                + pair("rreset", "")
                + pair("rsilent", "")
                + pair("rheadstall", "")
                + """
                  - id: rslow
                    upstream:
                      timeouts: %s
                      groups:
                        - name: primary
                          saturation: {ttft_p99: 200ms, min_samples: 3, window: 60s}
                          targets: [{name: rslow-p, url: "%s"}]
                        - {name: fallback, targets: [{name: rslow-f, url: "%s"}]}
                """.formatted(TIMEOUTS, UP.get("rslow-p").url(), UP.get("rslow-f").url())
                + single("rcut", "")
                + single("rstall", "")
                + single("rmalformed", "")
                + pair("rmalfirst", "")
                + single("rnodone", "")
                + single("rfinished", "")
                + pair("rcontext", "")
                + pair("rctxfb", "context_fallbacks: [rctxfb-f]")
                + pair("rfilter", "")
                + pair("rshape", "")
                + pair("rflap", "breaker: {consecutive_failures: 1, ejection: 300ms}")
                + pair("raccount", "");
        gateway = RoutingGateway.start(models, "{slow_client: 5s}");
    }

    @AfterAll
    static void stop() throws Exception {
        if (gateway != null) {
            gateway.close();
        }
        for (FaultyUpstream u : UP.values()) {
            u.close();
        }
    }

    private record Timed(HttpResponse<String> response, Duration took) {
        String target() {
            return response.headers().firstValue("x-fairlane-target").orElse("");
        }

        String attempts() {
            return response.headers().firstValue("x-fairlane-attempts").orElse("");
        }
    }

    private static Timed chat(String model, boolean stream) throws Exception {
        long t0 = System.nanoTime();
        HttpResponse<String> r = gateway.chat(model, stream ? "\"stream\":true" : "");
        return new Timed(r, Duration.ofNanos(System.nanoTime() - t0));
    }

    private static void assertCompleteStream(Timed t) {
        assertThat(t.response().statusCode()).isEqualTo(200);
        assertThat(t.response().body()).contains("\"content\":\"Hi\"").endsWith("data: [DONE]\n\n")
                .doesNotContain("\"error\"");
    }

    private static void assertStreamEndsInError(Timed t, String code) {
        assertThat(t.response().statusCode()).isEqualTo(200);
        assertThat(t.response().body()).contains("\"content\":\"Hel\"").contains("data: {\"error\":")
                .contains("\"code\":\"" + code + "\"").doesNotContain("data: [DONE]");
    }

    // 1
    @Test
    void status429WithRetryAfter_isRetriedAfterItsWaitAndSucceeds() throws Exception {
        UP.get("r429-s").then(status(429, "rate_limit_exceeded", "slow down", "retry-after: 1"));

        Timed t = chat("r429", false);

        assertThat(t.response().statusCode()).isEqualTo(200);
        assertThat(t.attempts()).isEqualTo("2");
        assertThat(t.took()).isBetween(Duration.ofMillis(900), Duration.ofSeconds(6));
    }

    // 2
    @Test
    void persistent429_failsOverAndKeepsTheThrottledPrimaryOutUntilItsRetryAfter() throws Exception {
        Timed first = chat("r429p", false);
        Timed second = chat("r429p", false);

        assertThat(first.response().statusCode()).isEqualTo(200);
        assertThat(first.target() + " " + first.attempts()).isEqualTo("r429p-f 2");
        assertThat(second.target() + " " + second.attempts()).isEqualTo("r429p-f 1");
        assertThat(UP.get("r429p-p").requests()).isEqualTo(1);
        assertThat(first.took().plus(second.took())).isLessThan(Duration.ofSeconds(4));
    }

    // 3
    @Test
    void persistent503_failsOverThenEjectsThePrimary() throws Exception {
        for (int i = 0; i < 2; i++) {
            Timed t = chat("r503", false);
            assertThat(t.response().statusCode() + " " + t.target()).isEqualTo("200 r503-f");
        }
        Timed after = chat("r503", false);

        assertThat(after.target() + " " + after.attempts()).isEqualTo("r503-f 1");
        assertThat(UP.get("r503-p").requests()).isEqualTo(2);
        assertThat(after.took()).isLessThan(Duration.ofSeconds(3));
    }

    // 3b
    @Test
    void persistent503WithoutFallback_answers503WithRetryAfterAtOnce() throws Exception {
        Timed t = chat("r503solo", false);

        assertThat(t.response().statusCode()).isEqualTo(503);
        assertThat(t.response().headers().firstValue("retry-after")).isPresent();
        assertThat(t.attempts()).isEqualTo("1");
        assertThat(t.took()).isLessThan(Duration.ofSeconds(3));
    }

    // 4
    @Test
    void resetBeforeTheResponse_failsOver() throws Exception {
        Timed t = chat("rreset", false);

        assertThat(t.response().statusCode() + " " + t.target()).isEqualTo("200 rreset-f");
        assertThat(t.took()).isLessThan(Duration.ofSeconds(3));
    }

    // 5
    @Test
    void acceptAndNeverAnswer_costsOneFirstByteTimeoutThenIsEjected() throws Exception {
        Timed first = chat("rsilent", false);
        Timed second = chat("rsilent", false);

        assertThat(first.response().statusCode() + " " + first.target()).isEqualTo("200 rsilent-f");
        assertThat(first.took()).isBetween(Duration.ofMillis(900), Duration.ofSeconds(4));
        assertThat(second.target() + " " + second.attempts()).isEqualTo("rsilent-f 1");
        assertThat(second.took()).isLessThan(Duration.ofMillis(900));
    }

    // 6
    @Test
    void headersThenStall_failsOverBeforeTheClientSeesAByte() throws Exception {
        Timed t = chat("rheadstall", true);

        assertCompleteStream(t);
        assertThat(t.target()).isEqualTo("rheadstall-f");
        assertThat(t.took()).isBetween(Duration.ofMillis(900), Duration.ofSeconds(4));
    }

    // 7
    @Test
    void slowTtftPastTheThreshold_spillsNewWorkToTheNextGroup() throws Exception {
        Timed last = null;
        for (int i = 0; i < 6; i++) {
            last = chat("rslow", true);
            assertCompleteStream(last);
            assertThat(last.took()).isLessThan(Duration.ofSeconds(3));
        }

        assertThat(last.target()).isEqualTo("rslow-f");
        assertThat(gateway.counter("fairlane.routing.spills", "model", "rslow", "reason", "ttft")).isPositive();
    }

    // 8
    @Test
    void streamCutMidAnswer_endsWithAnErrorEventAndNoDone() throws Exception {
        Timed t = chat("rcut", true);

        assertStreamEndsInError(t, "upstream_disconnected");
        assertThat(t.took()).isLessThan(Duration.ofSeconds(3));
        assertThat(gateway.awaitCounter(1, "fairlane.requests", "model", "rcut", "status", "502")).isEqualTo(1);
    }

    // 9
    @Test
    void streamStalledMidAnswer_endsWithAnErrorEventAfterTheBetweenChunksTimeout() throws Exception {
        Timed t = chat("rstall", true);

        assertStreamEndsInError(t, "timeout");
        assertThat(t.took()).isBetween(Duration.ofMillis(900), Duration.ofSeconds(4));
    }

    // 10
    @Test
    void malformedChunkMidStream_endsWithAnErrorEventNotASilentSkip() throws Exception {
        Timed t = chat("rmalformed", true);

        assertStreamEndsInError(t, "upstream_error");
        assertThat(t.took()).isLessThan(Duration.ofSeconds(3));
    }

    // 10b
    @Test
    void malformedFirstChunk_failsOver() throws Exception {
        Timed t = chat("rmalfirst", true);

        assertCompleteStream(t);
        assertThat(t.target() + " " + t.attempts()).isEqualTo("rmalfirst-f 2");
    }

    // 11
    @Test
    void streamEndingWithoutDoneOrFinishReason_endsWithAnErrorEventNotAMadeUpDone() throws Exception {
        Timed t = chat("rnodone", true);

        assertStreamEndsInError(t, "upstream_truncated");
        assertThat(gateway.awaitCounter(1, "fairlane.requests", "model", "rnodone", "status", "502")).isEqualTo(1);
    }

    // 11b
    @Test
    void streamThatFinishedWithoutDone_endsWithDone() throws Exception {
        Timed t = chat("rfinished", true);

        assertCompleteStream(t);
    }

    // 12
    @Test
    void contextLength400_isTheClientsAnswerWithoutFailover() throws Exception {
        Timed t = chat("rcontext", false);

        assertThat(t.response().statusCode()).isEqualTo(400);
        assertThat(t.response().body()).contains("context_length_exceeded");
        assertThat(t.attempts()).isEqualTo("1");
        assertThat(UP.get("rcontext-f").requests()).isZero();
    }

    // 12b
    @Test
    void contextLength400_goesToTheContextFallbackWhenOneIsConfigured() throws Exception {
        Timed t = chat("rctxfb", false);

        assertThat(t.response().statusCode() + " " + t.target() + " " + t.attempts()).isEqualTo("200 rctxfb-f 2");
    }

    // 13
    @Test
    void contentFilter400_isTheClientsAnswerWithoutFailover() throws Exception {
        Timed t = chat("rfilter", false);

        assertThat(t.response().statusCode()).isEqualTo(400);
        assertThat(t.response().body()).contains("content_filter");
        assertThat(UP.get("rfilter-f").requests()).isZero();
    }

    // 14
    @Test
    void fallbackRejectingTheRequestShape_reportsThePrimarysFailureAndWhy() throws Exception {
        Timed t = chat("rshape", false);

        assertThat(t.response().statusCode()).isEqualTo(503);
        assertThat(t.response().headers().firstValue("retry-after")).isPresent();
        assertThat(t.response().body()).contains("rshape-f").contains("tools are not supported");
        assertThat(t.took()).isLessThan(Duration.ofSeconds(3));
    }

    // 15
    @Test
    void primaryFlappingEveryFewHundredMillis_neverFailsAClientAndIsEjectedForLongerEachTime() throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        int requests = 0;
        while (System.nanoTime() < end) {
            Timed t = chat("rflap", false);
            assertThat(t.response().statusCode()).as("request %d", requests).isEqualTo(200);
            assertThat(t.took()).isLessThan(Duration.ofSeconds(2));
            requests++;
            Thread.sleep(20);
        }

        RoutingSnapshot.TargetView primary = gateway.gateway().router("rflap").orElseThrow().snapshot().groups()
                .getFirst().targets().getFirst();
        assertThat(primary.ejections()).isGreaterThanOrEqualTo(2);
    }

    // 16
    @Test
    void accountingAfterFailover_billsTokensOnceToTheTargetThatServed() throws Exception {
        Timed t = chat("raccount", false);

        assertThat(t.target() + " " + t.attempts()).isEqualTo("raccount-f 2");
        assertThat(gateway.awaitCounter(9, "fairlane.tokens", "model", "raccount", "kind", "prompt")).isEqualTo(9);
        assertThat(gateway.counter("fairlane.tokens", "model", "raccount", "kind", "completion")).isEqualTo(2);
        assertThat(gateway.awaitCounter(11, "fairlane.routing.tokens", "model", "raccount", "target", "raccount-f"))
                .isEqualTo(11);
        assertThat(gateway.counter("fairlane.routing.tokens", "model", "raccount", "target", "raccount-p")).isZero();
        assertThat(gateway.counter("fairlane.upstream.requests", "target", "raccount-p", "outcome", "http_5xx"))
                .isEqualTo(1);
        assertThat(gateway.counter("fairlane.upstream.requests", "target", "raccount-f", "outcome", "ok")).isEqualTo(1);
    }
}
