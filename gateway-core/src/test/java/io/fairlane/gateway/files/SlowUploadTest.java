package io.fairlane.gateway.files;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.gateway.testing.GatewayExtension;
import io.fairlane.gateway.testing.Multipart;
import io.fairlane.gateway.testing.RawHttp;
import io.fairlane.gateway.testing.TestGateway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The upload route's body deadline: a client that sends part of its body and then stalls (or trickles) is cut off
 * with 408 once a window passes below the minimum rate, instead of holding its connection and upload slot.
 */
@ExtendWith(GatewayExtension.class)
class SlowUploadTest {

    @Test
    void upload_stallingMidBody_is408AndClosed(TestGateway g) throws Exception {
        try (RawHttp raw = new RawHttp(g.port())) {
            raw.write("POST /v1/files HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TestGateway.DEMO_KEY + "\r\n"
                    + "Content-Type: multipart/form-data; boundary=" + Multipart.BOUNDARY + "\r\n"
                    + "Content-Length: 1000000\r\n\r\n--" + Multipart.BOUNDARY + "\r\nContent-Disposition: form-data; "
                    + "name=\"file\"; filename=\"a\"\r\n\r\nonly this much");
            String response = raw.readUntilClose();
            assertThat(response).startsWith("HTTP/1.1 408").contains("request_timeout").contains("bytes per second");
        }
        assertThat(g.plainChat().statusCode()).isEqualTo(200);
    }

    @Test
    void upload_declaringMoreThanTheLimit_is413BeforeTheBodyIsRead(TestGateway g) throws Exception {
        try (RawHttp raw = new RawHttp(g.port())) {
            raw.write("POST /v1/files HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TestGateway.DEMO_KEY + "\r\n"
                    + "Content-Type: multipart/form-data; boundary=" + Multipart.BOUNDARY + "\r\n"
                    + "Content-Length: 900000000\r\n\r\n");
            String response = raw.readUntilClose();
            assertThat(response).startsWith("HTTP/1.1 413").contains("file_too_large");
        }
    }
}
