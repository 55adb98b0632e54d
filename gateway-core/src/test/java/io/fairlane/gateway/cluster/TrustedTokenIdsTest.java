package io.fairlane.gateway.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class TrustedTokenIdsTest {

    private static final byte[] KEY = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] BODY = "{\"model\":\"m\"}".getBytes(StandardCharsets.UTF_8);
    private static final int[] IDS = {1, 70000, -5, 42};

    @Test
    void verify_signedByARouter_returnsTheIds() {
        TrustedTokenIds t = new TrustedTokenIds(KEY);
        String[] h = t.sign("acme", "m", BODY, IDS);

        assertThat(t.verify("acme", "m", BODY, h[0], h[1])).hasValueSatisfying(ids -> assertThat(ids).isEqualTo(IDS));
    }

    @Test
    void verify_idsChangedByAClient_areIgnored() {
        TrustedTokenIds t = new TrustedTokenIds(KEY);
        String[] h = t.sign("acme", "m", BODY, IDS);
        String[] forged = t.sign("acme", "m", BODY, new int[] {9, 9});

        assertThat(t.verify("acme", "m", BODY, forged[0], h[1])).isEmpty();
    }

    @Test
    void verify_headersReplayedWithAnotherTenantOrBody_areIgnored() {
        TrustedTokenIds t = new TrustedTokenIds(KEY);
        String[] h = t.sign("acme", "m", BODY, IDS);

        assertThat(t.verify("other", "m", BODY, h[0], h[1])).isEmpty();
        assertThat(t.verify("acme", "m", Arrays.copyOf(BODY, BODY.length - 1), h[0], h[1])).isEmpty();
    }

    @Test
    void verify_macFromAnotherKeyOrGarbage_isIgnored() {
        byte[] other = KEY.clone();
        other[0] ^= 1;
        String[] h = new TrustedTokenIds(other).sign("acme", "m", BODY, IDS);
        TrustedTokenIds t = new TrustedTokenIds(KEY);

        assertThat(t.verify("acme", "m", BODY, h[0], h[1])).isEmpty();
        assertThat(t.verify("acme", "m", BODY, h[0], "%%%")).isEmpty();
        assertThat(t.verify("acme", "m", BODY, null, null)).isEmpty();
    }

    @Test
    void constructor_shortKey_isRefused() {
        assertThatThrownBy(() -> new TrustedTokenIds(new byte[16])).isInstanceOf(IllegalArgumentException.class);
    }
}
