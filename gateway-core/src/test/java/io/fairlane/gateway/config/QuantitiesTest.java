package io.fairlane.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class QuantitiesTest {

    @Test
    void duration_readsEveryUnit() {
        assertThat(Quantities.duration("1.5s")).isEqualTo(Duration.ofMillis(1500));
        assertThat(Quantities.duration("250ms")).isEqualTo(Duration.ofMillis(250));
        assertThat(Quantities.duration("6m")).isEqualTo(Duration.ofMinutes(6));
        assertThat(Quantities.duration("1h")).isEqualTo(Duration.ofHours(1));
    }

    @Test
    void duration_withoutUnit_isRefused() {
        assertThatThrownBy(() -> Quantities.duration("10")).hasMessageContaining("duration");
    }

    @Test
    void bytes_readsBinaryAndDecimalUnits() {
        assertThat(Quantities.bytes("16MiB")).isEqualTo(16L << 20);
        assertThat(Quantities.bytes("1kb")).isEqualTo(1000);
        assertThat(Quantities.bytes("512")).isEqualTo(512);
    }
}
