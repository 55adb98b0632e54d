package io.fairlane.gateway.lane.upstream;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The Jackson mapper for what upstream servers send. Unlike the mapper for client bodies, it has no string-length
 * limit of its own: an answer is bounded as a whole by the model's {@code limits.max_response_size} before it is
 * parsed, and one long string (a 20 MB completion, a base64 embedding) is a valid answer, not an attack. Nesting
 * stays capped, as for clients.
 */
final class UpstreamJson {

    static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(256)
                    .maxStringLength(Integer.MAX_VALUE).maxDocumentLength(-1).build())
            .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
            .build())
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private UpstreamJson() {
    }
}
