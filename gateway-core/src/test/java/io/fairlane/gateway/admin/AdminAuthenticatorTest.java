package io.fairlane.gateway.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fairlane.gateway.config.ApiKeyHash;
import io.fairlane.gateway.config.TenantConfig;
import io.fairlane.gateway.http.ApiException;
import io.fairlane.gateway.tenant.TenantDirectory;
import io.fairlane.scheduler.RateLimits;
import io.fairlane.scheduler.ServiceTier;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class AdminAuthenticatorTest {

    private static final TenantConfig TEAM = new TenantConfig("team-a", List.of(ApiKeyHash.of("sk-team-a")), 1,
            Set.of(ServiceTier.DEFAULT), OptionalDouble.empty(), 10, 10, RateLimits.NONE, Optional.empty(), List.of());

    private final AtomicReference<List<ApiKeyHash>> adminKeys =
            new AtomicReference<>(List.of(ApiKeyHash.of("sk-admin-1"), ApiKeyHash.of("sk-admin-2")));
    private final AdminAuthenticator auth = new AdminAuthenticator(adminKeys::get,
            () -> new TenantDirectory(List.of(TEAM)));

    private static String status(Runnable call) {
        try {
            call.run();
            return "passed";
        } catch (ApiException e) {
            return e.error().status() + " " + e.error().code();
        }
    }

    @Test
    void adminKey_passes() {
        assertThatCode(() -> auth.check("Bearer sk-admin-2")).doesNotThrowAnyException();
    }

    @Test
    void tenantKey_is403() {
        assertThat(status(() -> auth.check("Bearer sk-team-a"))).isEqualTo("403 insufficient_permissions");
    }

    @Test
    void tenantKey_refusalNamesNoTenant() {
        assertThatThrownBy(() -> auth.check("Bearer sk-team-a")).isInstanceOfSatisfying(ApiException.class,
                e -> assertThat(e.error().message()).doesNotContain("team-a"));
    }

    @Test
    void unknownKey_is401InvalidApiKey() {
        assertThat(status(() -> auth.check("Bearer sk-nobody"))).isEqualTo("401 invalid_api_key");
    }

    @Test
    void missingKey_is401() {
        assertThat(status(() -> auth.check(null))).isEqualTo("401 null");
    }

    @Test
    void basicAuthInsteadOfBearer_is401() {
        assertThat(status(() -> auth.check("Basic c2stYWRtaW4tMQ=="))).isEqualTo("401 null");
    }

    @Test
    void reloadedKeys_applyToTheNextRequest() {
        adminKeys.set(List.of(ApiKeyHash.of("sk-admin-3")));
        assertThat(status(() -> auth.check("Bearer sk-admin-1"))).isEqualTo("401 invalid_api_key");
    }

    @Test
    void noAdminKeysConfigured_refusesEveryone() {
        adminKeys.set(List.of());
        assertThat(status(() -> auth.check("Bearer sk-admin-1"))).isEqualTo("401 invalid_api_key");
    }
}
