package io.fairlane.conformance.wire;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Optional;

/**
 * One request and what came back: a response, or the transport failure that prevented one.
 *
 * @param purpose what the harness wanted to learn with this request, shown in reports
 * @param request the request as sent
 * @param response the response, empty when the transport failed
 * @param transportError why no response came back, empty when one did
 * @param elapsed time from sending to the end of the body
 * @param streamed whether the request asked for a stream ({@code "stream": true})
 */
public record Exchange(String purpose, RecordedRequest request, Optional<RecordedResponse> response,
        Optional<String> transportError, Duration elapsed, boolean streamed) {

    public Exchange {
        requireNonNull(purpose, "purpose");
        requireNonNull(request, "request");
        requireNonNull(response, "response");
        requireNonNull(transportError, "transportError");
        requireNonNull(elapsed, "elapsed");
        if (response.isPresent() == transportError.isPresent()) {
            throw new IllegalArgumentException("exactly one of response and transportError must be present");
        }
    }

    public int status() {
        return response.map(RecordedResponse::status).orElse(0);
    }

    public boolean ok() {
        return status() >= 200 && status() < 300;
    }

    /** The response, or an exception naming the transport failure (for checks that need a response). */
    public RecordedResponse responseOrThrow() {
        return response.orElseThrow(() -> new IllegalStateException(
                purpose + ": no response (" + transportError.orElse("?") + ")"));
    }

    /** The path of the request URL (e.g. {@code /v1/chat/completions}). */
    public String path() {
        return java.net.URI.create(request.url()).getPath();
    }
}
