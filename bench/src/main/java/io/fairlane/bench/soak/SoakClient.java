package io.fairlane.bench.soak;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.Writer;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * One client of the soak, on its own virtual thread: request after request as one tenant, drawn from a fixed mix
 * (streamed and whole chats through the upstream lane, streamed and whole completions on the CPU engine), now and
 * then leaving a stream after a few events. Every answer is checked and counted by what it was: a success, an
 * expected refusal (429 for the rate-limited tenant), an injected upstream failure (the stub says which), a stream
 * it left on purpose, or unexpected (anything else: a 5xx the stub did not cause, a stream that ended without
 * {@code [DONE]} or an error event, a connection error, a malformed answer).
 */
final class SoakClient implements Runnable {

    /** The outcome counters all clients share. */
    static final class Tally {
        final Map<String, LongAdder> outcomes = new ConcurrentHashMap<>();
        final Map<String, String> unexpectedExamples = new ConcurrentHashMap<>();
        final AtomicLong sequence = new AtomicLong();

        void count(String outcome) {
            outcomes.computeIfAbsent(outcome, k -> new LongAdder()).increment();
        }

        void unexpected(String what, String example) {
            count("unexpected");
            unexpectedExamples.putIfAbsent(what, example.length() > 300 ? example.substring(0, 300) : example);
        }

        long get(String outcome) {
            LongAdder a = outcomes.get(outcome);
            return a == null ? 0 : a.sum();
        }
    }

    private final HttpClient http;
    private final URI base;
    private final String tenant;
    private final String key;
    private final boolean rateLimited;
    private final double abortRatio;
    private final long endNanos;
    private final SoakUpstream upstream;
    private final Tally tally;
    private final SplittableRandom random;

    SoakClient(HttpClient http, URI base, String tenant, String key, boolean rateLimited, double abortRatio,
               long endNanos, SoakUpstream upstream, Tally tally, long seed) {
        this.http = http;
        this.base = base;
        this.tenant = tenant;
        this.key = key;
        this.rateLimited = rateLimited;
        this.abortRatio = abortRatio;
        this.endNanos = endNanos;
        this.upstream = upstream;
        this.tally = tally;
        this.random = new SplittableRandom(seed);
    }

    @Override
    public void run() {
        while (System.nanoTime() < endNanos) {
            String id = tenant + "-" + tally.sequence.incrementAndGet();
            double kind = random.nextDouble();
            boolean stream = kind < 0.45 || kind >= 0.65 && kind < 0.85;
            boolean local = kind >= 0.65;
            boolean leave = stream && random.nextDouble() < abortRatio;
            String path = local ? "/v1/completions" : "/v1/chat/completions";
            String body = local
                    ? "{\"model\":\"tiny\",\"prompt\":\"The soak test asks for a few tokens, request " + id
                            + "\",\"max_tokens\":" + random.nextInt(4, 17) + ",\"stream\":" + stream + "}"
                    : "{\"model\":\"up\",\"user\":\"" + id + "\",\"max_tokens\":" + random.nextInt(4, 33)
                            + ",\"stream\":" + stream + (stream && random.nextBoolean()
                            ? ",\"stream_options\":{\"include_usage\":true}" : "")
                            + ",\"messages\":[{\"role\":\"user\",\"content\":\"hello from " + id + "\"}]}";
            if (leave) {
                leaveMidStream(id, local, path, body);
                continue;
            }
            HttpRequest request = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(60))
                    .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build();
            try {
                HttpResponse<InputStream> r = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
                try (InputStream in = r.body()) {
                    classify(id, local, stream, false, r.statusCode(), in);
                }
            } catch (IOException e) {
                tally.unexpected("connection: " + e.getClass().getSimpleName(), id + ": " + e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * A client that leaves a stream after three events, on a connection of its own: it sends the request over a plain
     * socket and closes the socket when it leaves. (Leaving through the JDK client's pool would race it: when the
     * whole stream had already arrived, the connection can go back to the pool as the early close shuts it, and
     * another request on it fails with "header parser received no bytes" although the server never closed it.)
     */
    private void leaveMidStream(String id, boolean local, String path, String body) {
        byte[] payload = body.getBytes(StandardCharsets.UTF_8);
        try (Socket socket = new Socket(base.getHost(), base.getPort())) {
            socket.setSoTimeout(60_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST " + path + " HTTP/1.1\r\nHost: " + base.getHost() + ":" + base.getPort()
                    + "\r\nAuthorization: Bearer " + key + "\r\nContent-Type: application/json\r\nContent-Length: "
                    + payload.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(payload);
            out.flush();
            InputStream in = new BufferedInputStream(socket.getInputStream());
            String statusLine = headerLine(in);
            int status = Integer.parseInt(statusLine.split(" ", 3)[1]);
            long length = -1;
            for (String h = headerLine(in); !h.isEmpty(); h = headerLine(in)) {
                if (h.regionMatches(true, 0, "content-length:", 0, 15)) {
                    length = Long.parseLong(h.substring(15).trim());
                }
            }
            // An error answer has a length; a stream is chunked, and its events are whole lines within its chunks.
            InputStream rest = status != 200 && length >= 0 ? new ByteArrayInputStream(in.readNBytes((int) length))
                    : in;
            classify(id, local, true, true, status, rest);
        } catch (IOException | RuntimeException e) {
            tally.unexpected("connection (leaving): " + e.getClass().getSimpleName(), id + ": " + e);
        }
    }

    private static String headerLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new IOException("connection closed in the response head");
            }
            if (c != '\r') {
                line.append((char) c);
            }
        }
        return line.toString();
    }

    private void classify(String id, boolean local, boolean stream, boolean leave, int status, InputStream in)
            throws IOException {
        if (status == 429 && rateLimited) {
            in.readAllBytes();
            tally.count("rate_limited");
            return;
        }
        if (status != 200) {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            if (!local && upstream.failedOnPurpose(id) && text.contains("\"error\"")) {
                tally.count("injected_failure");
            } else {
                tally.unexpected("status " + status, id + ": " + text);
            }
            return;
        }
        if (!stream) {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            if (text.contains("\"choices\"") && text.contains("\"usage\"")) {
                tally.count("ok");
            } else {
                tally.unexpected("malformed answer", id + ": " + text);
            }
            return;
        }
        BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        int events = 0;
        String line;
        while ((line = lines.readLine()) != null) {
            if (!line.startsWith("data: ")) {
                continue;
            }
            if (line.equals("data: [DONE]")) {
                tally.count("ok");
                if (!leave) {
                    drain(lines);
                }
                return;
            }
            if (line.startsWith("data: {\"error\"")) {
                if (!local && upstream.failedOnPurpose(id)) {
                    tally.count("injected_failure");
                } else {
                    tally.unexpected("error event", id + ": " + line);
                }
                if (!leave) {
                    drain(lines);
                }
                return;
            }
            if (leave && ++events == 3) {
                tally.count("left_mid_stream");
                return; // closing the socket drops the connection mid-stream
            }
        }
        tally.unexpected("stream cut without [DONE] or an error", id);
    }

    /**
     * Reads a finished stream to its end (the chunked terminator that follows the last event) before the body is
     * closed, as SDK clients do. Closing the JDK client's body stream between the last event and the terminator
     * races its connection pool: the connection can go back to the pool as it is being shut, and the next request on
     * it fails with "header parser received no bytes" although the server never closed it.
     */
    private static void drain(BufferedReader lines) throws IOException {
        lines.transferTo(Writer.nullWriter());
    }
}
