package io.fairlane.conformance.capture;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * One line of a capture file: a request and the response it got.
 *
 * @param v format version, {@value CaptureFormat#VERSION}
 * @param time when the request arrived (ISO-8601), optional
 * @param tenant the tenant that sent it, optional
 * @param deterministic whether the text of the response is reproducible (compare it on replay) even though
 *        the request does not say so with temperature 0 and a seed; optional
 * @param request the request
 * @param response the response
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record CaptureRecord(int v, String time, String tenant, Boolean deterministic, CapturedRequest request,
        CapturedResponse response) {

    public CaptureRecord {
        if (v != CaptureFormat.VERSION) {
            throw new IllegalArgumentException("unsupported capture version " + v + "; this reader knows "
                    + CaptureFormat.VERSION);
        }
        requireNonNull(request, "request");
        requireNonNull(response, "response");
    }

    /**
     * Whether generated text is compared on replay: when marked deterministic, or when the request asks for
     * greedy decoding with a seed ({@code temperature: 0} and {@code seed}).
     */
    public boolean textIsDeterministic() {
        if (Boolean.TRUE.equals(deterministic)) {
            return true;
        }
        JsonNode body = request.body();
        return body != null && body.path("temperature").isNumber() && body.path("temperature").asDouble() == 0.0
                && body.path("seed").isIntegralNumber();
    }
}
