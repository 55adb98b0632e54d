package io.fairlane.gateway.tenant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fairlane.gateway.config.ApiKeyHash;
import io.fairlane.gateway.config.TenantConfig;
import io.fairlane.gateway.http.ApiException;
import io.fairlane.scheduler.RateLimits;
import io.fairlane.scheduler.ServiceTier;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class AuthenticatorTest {

    private static final TenantConfig DEMO = new TenantConfig("demo", List.of(ApiKeyHash.of("sk-fairlane-demo")), 1,
            Set.of(ServiceTier.DEFAULT), OptionalDouble.empty(), 10, 10, RateLimits.NONE, Optional.empty(), List.of());
    private final Authenticator auth = new Authenticator(new AtomicReference<>(new TenantDirectory(List.of(DEMO))));

    @Test
    void rightKey_resolvesTheTenant() {
        assertThat(auth.authenticate("Bearer sk-fairlane-demo").id()).isEqualTo("demo");
    }

    @Test
    void schemeIsCaseInsensitive() {
        assertThat(auth.authenticate("bearer  sk-fairlane-demo").id()).isEqualTo("demo");
    }

    @Test
    void missingKey_is401WithoutCode() {
        assertThatThrownBy(() -> auth.authenticate(null)).isInstanceOfSatisfying(ApiException.class,
                e -> assertThat(e.error().status() + " " + e.error().code()).isEqualTo("401 null"));
    }

    @Test
    void wrongKey_is401InvalidApiKeyWithTheKeyMasked() {
        assertThatThrownBy(() -> auth.authenticate("Bearer sk-fairlane-demx")).isInstanceOfSatisfying(ApiException.class,
                e -> assertThat(e.error().message()).startsWith("Incorrect API key provided: sk-fa*******demx."));
    }

    @Test
    void mask_hidesShortKeysEntirely() {
        assertThat(Authenticator.mask("sk-123")).isEqualTo("******");
    }

    @Test
    void basicAuth_isNotABearerKey() {
        assertThatThrownBy(() -> auth.authenticate("Basic c2stZmFpcmxhbmUtZGVtbw==")).isInstanceOf(ApiException.class);
    }
}
