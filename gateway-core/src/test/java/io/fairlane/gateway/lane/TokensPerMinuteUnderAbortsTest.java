package io.fairlane.gateway.lane;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.gateway.EngineOpener;
import io.fairlane.gateway.Gateway;
import io.fairlane.gateway.config.ApiKeyHash;
import io.fairlane.gateway.config.ConfigLoader;
import io.fairlane.gateway.testing.LeakRecorder;
import io.fairlane.gateway.testing.RawHttp;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A client that opens {@code n: 8, max_tokens: 1500} streams on the real CPU engine and drops each after a couple
 * of hundred events, over and over, to dodge its tokens-per-minute limit. It cannot: every token the engine
 * generated is charged to the limit and billed, so it is refused once the limit is spent, and what it consumed
 * stays within the limit (plus the minute's refill over the run). Billing, the engine's own count and
 * {@code /admin/usage} agree to the token.
 */
class TokensPerMinuteUnderAbortsTest {

    private static final String KEY = "sk-test-aborter";
    private static final int TOKENS_PER_MINUTE = 13_000; // one 8 x 1500 reservation fits, two never do
    private static final String BODY = "{\"model\":\"tiny\",\"stream\":true,\"n\":8,\"max_tokens\":1500,"
            + "\"prompt\":\"Once upon a time\"}";
    private static Gateway gateway;

    @BeforeAll
    static void start() throws Exception {
        Path cache = Files.createTempDirectory("fairlane-tpm");
        String yaml = """
                server: {host: 127.0.0.1, port: 0, event_loops: 1, cache_dir: %s}
                tenants:
                  - id: aborter
                    api_keys: ["%s"]
                    rate_limits: {tokens_per_minute: %d}
                models:
                  - id: tiny
                    local:
                      synthetic: {shape: tiny, dtype: f32, seed: 7}
                      backend: cpu
                      kv: {block_size: 16, cache_size: 16MiB}
                      max_running_sequences: 8
                      cpu_threads: 1
                """.formatted(cache, ApiKeyHash.of(KEY), TOKENS_PER_MINUTE);
        gateway = Gateway.start(new ConfigLoader(Map.of("HOME", cache.toString())).parse(yaml, "tpm test"),
                EngineOpener.engines());
    }

    @AfterAll
    static void stop() {
        gateway.close();
        assertThat(LeakRecorder.check()).as("leaked buffers").isEmpty();
    }

    /** What one attempt got: its status, and the wait a 429 asked for. */
    private record Attempt(int status, long retryAfterMillis) {
    }

    /** Sends the stream; when admitted reads {@code events} data events and drops the connection. */
    private static Attempt streamAndLeave(int events) throws Exception {
        try (RawHttp raw = new RawHttp(gateway.port())) {
            raw.write("POST /v1/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + KEY
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + BODY.length() + "\r\n\r\n" + BODY);
            InputStream in = raw.socket().getInputStream();
            StringBuilder seen = new StringBuilder();
            byte[] buf = new byte[8192];
            int data = 0;
            while (seen.indexOf("\r\n\r\n") < 0 || seen.indexOf("HTTP/1.1 200") == 0 && data < events) {
                int n = in.read(buf);
                if (n < 0) {
                    break;
                }
                String chunk = new String(buf, 0, n, StandardCharsets.UTF_8);
                for (int i = chunk.indexOf("data: "); i >= 0; i = chunk.indexOf("data: ", i + 1)) {
                    data++;
                }
                if (seen.length() < 4096) {
                    seen.append(chunk);
                }
            }
            int status = Integer.parseInt(seen.substring(9, 12));
            java.util.regex.Matcher wait = java.util.regex.Pattern.compile("(?i)retry-after-ms: (\\d+)").matcher(seen);
            return new Attempt(status, wait.find() ? Long.parseLong(wait.group(1)) : 0);
        }
    }

    private static double tokens(String kind) {
        Counter c = gateway.registry().find("fairlane.tokens").tags("tenant", "aborter", "model", "tiny", "kind", kind)
                .counter();
        return c == null ? 0 : c.count();
    }

    private static double generatedByTheEngine() {
        FunctionCounter c = gateway.registry().find("fairlane.engine.generated.tokens").tag("model", "tiny")
                .functionCounter();
        return c == null ? 0 : c.count();
    }

    private static double inFlight() {
        Gauge g = gateway.registry().find("fairlane.requests.in.flight").tags("tenant", "aborter", "model", "tiny")
                .gauge();
        return g == null ? 0 : g.value();
    }

    @Test
    void abortedStreams_chargeEveryGeneratedTokenToTheLimit() throws Exception {
        long start = System.nanoTime();
        long end = start + TimeUnit.SECONDS.toNanos(10);
        int admitted = 0;
        int refused = 0;
        while (System.nanoTime() < end) {
            Attempt a = streamAndLeave(240);
            if (a.status() == 200) {
                admitted++;
            } else {
                assertThat(a.status()).isEqualTo(429);
                refused++;
                Thread.sleep(Math.min(2000, Math.max(50, a.retryAfterMillis())));
            }
        }
        double minutes = (System.nanoTime() - start) / 60e9;
        // Settled: nothing in flight, and the engine's counter (polled once a second) has caught up.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        double generated = -1;
        while (System.nanoTime() < deadline) {
            double now = generatedByTheEngine();
            if (inFlight() == 0 && now == generated && now == tokens("completion")) {
                break;
            }
            generated = now;
            Thread.sleep(1100);
        }
        assertThat(admitted).as("streams admitted").isGreaterThanOrEqualTo(2);
        assertThat(refused).as("attempts refused while the limit was spent").isPositive();
        assertThat(tokens("completion")).as("billed = generated by the engine").isEqualTo(generated)
                .isGreaterThan(0);
        assertThat(tokens("prompt") + tokens("completion")).as("consumed within the limit and its refill")
                .isLessThanOrEqualTo(TOKENS_PER_MINUTE * (1 + minutes));
    }
}
