package io.fairlane.gateway.capture;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RedactionTest {

    @Test
    void headers_credentials_areRedactedAndNamesLowerCased() {
        HttpHeaders h = new DefaultHttpHeaders().add("Authorization", "Bearer sk-secret").add("X-Api-Key", "k")
                .add("Cookie", "c=1").add("Content-Type", "application/json");

        assertThat(Redaction.headers(h)).isEqualTo(Map.of("authorization", "[redacted]", "x-api-key", "[redacted]",
                "cookie", "[redacted]", "content-type", "application/json"));
    }
}
