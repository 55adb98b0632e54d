package io.fairlane.conformance.wire;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The harness's HTTP client: sends requests to an OpenAI-compatible base URL (the same base URL an SDK
 * takes, e.g. {@code http://localhost:8080/v1}) and records every exchange, so later checks (schemas, the
 * error envelope) can look at everything a run saw.
 *
 * <p>HTTP/1.1 on purpose: the JDK client would otherwise offer an h2c upgrade on plain http, which is not
 * what SDK clients do. Bodies are read whole; a stream that never ends is cut at the timeout and reported
 * as a transport failure. Thread-safe: the log is synchronized, the JDK client is shared.
 */
public final class HttpProbe {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI baseUrl;
    private final String apiKey;
    private final Duration timeout;
    private final HttpClient client;
    private final List<Exchange> log = Collections.synchronizedList(new ArrayList<>());

    public HttpProbe(URI baseUrl, String apiKey, Duration timeout) {
        requireNonNull(baseUrl, "baseUrl");
        String base = baseUrl.toString();
        this.baseUrl = URI.create(base.endsWith("/") ? base : base + "/");
        this.apiKey = requireNonNull(apiKey, "apiKey");
        this.timeout = requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, was " + timeout);
        }
        this.client = newClient();
    }

    private HttpClient newClient() {
        return HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    /** A request under construction; {@link #send()} records and returns the exchange. */
    public final class Call {
        private final String purpose;
        private final String method;
        private final String path;
        private byte[] body = new byte[0];
        private boolean streamed;
        private boolean expectContinue;
        private boolean ownConnection;
        private String key = apiKey;
        private final Map<String, String> headers = new LinkedHashMap<>();

        private Call(String purpose, String method, String path) {
            this.purpose = requireNonNull(purpose, "purpose");
            this.method = requireNonNull(method, "method");
            this.path = requireNonNull(path, "path");
        }

        public Call json(JsonNode json) {
            requireNonNull(json, "json");
            try {
                this.body = JSON.writeValueAsBytes(json);
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException("body cannot be written as JSON", e);
            }
            this.streamed = json.path("stream").asBoolean(false);
            headers.put("Content-Type", "application/json");
            return this;
        }

        public Call rawBody(byte[] raw, String contentType) {
            this.body = requireNonNull(raw, "raw");
            headers.put("Content-Type", requireNonNull(contentType, "contentType"));
            return this;
        }

        /** Uses another API key for this call, or none when {@code key} is null. */
        public Call apiKey(String otherKey) {
            this.key = otherKey;
            return this;
        }

        public Call header(String name, String value) {
            headers.put(requireNonNull(name, "name"), requireNonNull(value, "value"));
            return this;
        }

        public Call headers(Map<String, String> more) {
            more.forEach(this::header);
            return this;
        }

        /** Sends {@code Expect: 100-continue} so a server can refuse a large body before it is sent. */
        public Call expectContinue() {
            this.expectContinue = true;
            return this;
        }

        /**
         * Sends this call on a connection of its own, never reused: for probes after which a server may
         * close the connection (an oversized body), so later calls do not inherit a dead pooled connection.
         */
        public Call ownConnection() {
            this.ownConnection = true;
            return this;
        }

        public Exchange send() {
            URI url = baseUrl.resolve(path.startsWith("/") ? path.substring(1) : path);
            Map<String, String> sent = new LinkedHashMap<>(headers);
            if (key != null) {
                sent.put("Authorization", "Bearer " + key);
            }
            if (streamed) {
                sent.putIfAbsent("Accept", "text/event-stream");
            } else {
                sent.putIfAbsent("Accept", "application/json");
            }
            HttpRequest.Builder builder = HttpRequest.newBuilder(url).timeout(timeout).expectContinue(expectContinue);
            sent.forEach(builder::header);
            builder.method(method, body.length == 0 && method.equals("GET")
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(body));
            RecordedRequest recorded = new RecordedRequest(method, url.toString(), sent,
                    RecordedRequest.keptBody(body), body.length);
            long start = System.nanoTime();
            Exchange exchange;
            HttpClient sender = ownConnection ? newClient() : client;
            CompletableFuture<HttpResponse<byte[]>> future =
                    sender.sendAsync(builder.build(), HttpResponse.BodyHandlers.ofByteArray());
            try {
                HttpResponse<byte[]> response = future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                exchange = new Exchange(purpose, recorded,
                        Optional.of(new RecordedResponse(response.statusCode(), response.headers().map(), response.body())),
                        Optional.empty(), Duration.ofNanos(System.nanoTime() - start), streamed);
            } catch (TimeoutException e) {
                future.cancel(true);
                exchange = failed(recorded, "no complete response within " + timeout.toSeconds() + " s", start);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause() == null ? e : e.getCause();
                exchange = failed(recorded, describe(cause), start);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                exchange = failed(recorded, "interrupted", start);
            }
            if (ownConnection) {
                sender.shutdownNow();
            }
            log.add(exchange);
            return exchange;
        }

        private Exchange failed(RecordedRequest recorded, String why, long start) {
            return new Exchange(purpose, recorded, Optional.empty(), Optional.of(why),
                    Duration.ofNanos(System.nanoTime() - start), streamed);
        }
    }

    public Call post(String purpose, String path, JsonNode body) {
        return new Call(purpose, "POST", path).json(body);
    }

    public Call get(String purpose, String path) {
        return new Call(purpose, "GET", path);
    }

    public Call call(String purpose, String method, String path) {
        return new Call(purpose, method, path);
    }

    public URI baseUrl() {
        return baseUrl;
    }

    /** Every exchange so far, in the order they completed. */
    public List<Exchange> exchanges() {
        synchronized (log) {
            return List.copyOf(log);
        }
    }

    private static String describe(Throwable t) {
        String name = t.getClass().getSimpleName();
        String message = t.getMessage();
        if (t instanceof IOException && message == null && t.getCause() != null) {
            message = t.getCause().toString();
        }
        return message == null ? name : name + ": " + message;
    }
}
