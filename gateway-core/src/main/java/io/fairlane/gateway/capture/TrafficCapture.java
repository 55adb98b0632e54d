package io.fairlane.gateway.capture;

import io.fairlane.gateway.http.BoundedCopy;
import io.fairlane.gateway.http.Exchange;
import io.fairlane.gateway.http.HttpHandler;
import io.fairlane.gateway.http.ResponseTap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.HttpHeaders;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * The capture decorator, placed after authentication: for a tenant that opted in, copies the request
 * (headers redacted at once) and taps the response; when the exchange ends, hands the record to the
 * {@link CaptureRecorder}. An exchange whose request or response body is larger than the limit, or whose
 * client left before the end, is not recorded. Tenants without {@code capture: true} pass straight through.
 */
public final class TrafficCapture implements java.util.function.Function<HttpHandler, HttpHandler> {

    private final CaptureRecorder recorder;
    private final long maxBodyBytes;

    public TrafficCapture(CaptureRecorder recorder, long maxBodyBytes) {
        this.recorder = Objects.requireNonNull(recorder, "recorder");
        if (maxBodyBytes < 1) {
            throw new IllegalArgumentException("maxBodyBytes must be at least 1, was " + maxBodyBytes);
        }
        this.maxBodyBytes = maxBodyBytes;
    }

    @Override
    public HttpHandler apply(HttpHandler next) {
        return exchange -> {
            if (exchange.tenant() == null || !exchange.tenant().capture()) {
                next.serve(exchange);
                return;
            }
            Instant time = Instant.now();
            ByteBuf body = exchange.body();
            if (body.readableBytes() > maxBodyBytes) {
                recorder.drop("a request body of " + body.readableBytes() + " bytes is over capture.max_body_size");
                next.serve(exchange);
                return;
            }
            Map<String, String> requestHeaders = Redaction.headers(exchange.requestHeaders());
            byte[] requestBody = ByteBufUtil.getBytes(body);
            ResponseRecording response = new ResponseRecording(maxBodyBytes);
            exchange.tap(response);
            exchange.onDone(e -> finished(e, time, requestHeaders, requestBody, response));
            next.serve(exchange);
        };
    }

    private void finished(Exchange e, Instant time, Map<String, String> requestHeaders, byte[] requestBody,
                          ResponseRecording response) {
        if (response.bytes.overflowed()) {
            recorder.drop("a response of more than " + maxBodyBytes + " bytes is over capture.max_body_size");
            return;
        }
        if (!response.seen) {
            return; // the client left before any answer: nothing a replay could compare
        }
        recorder.submit(new CapturedExchange(time, e.tenant().id(), e.method().name(), e.uri(), requestHeaders,
                requestBody, response.status, response.headers, response.stream, response.bytes.toByteArray()));
    }

    /** The response's status, headers and bytes, up to the limit. Confined to the exchange's event loop. */
    private static final class ResponseRecording implements ResponseTap {
        private final BoundedCopy bytes;
        private Map<String, String> headers = Map.of();
        private int status;
        private boolean stream;
        private boolean seen;

        ResponseRecording(long limit) {
            this.bytes = new BoundedCopy(limit);
        }

        @Override
        public void response(int status, HttpHeaders headers, ByteBuf body) {
            this.status = status;
            this.headers = Redaction.headers(headers);
            this.seen = true;
            bytes.append(body);
        }

        @Override
        public void streamStarted(HttpHeaders headers) {
            this.status = 200;
            this.headers = Redaction.headers(headers);
            this.stream = true;
            this.seen = true;
        }

        @Override
        public void event(ByteBuf event) {
            bytes.append(event);
        }
    }
}
