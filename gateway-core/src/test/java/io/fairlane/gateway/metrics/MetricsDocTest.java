package io.fairlane.gateway.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.gateway.testing.Fixtures;
import io.micrometer.core.instrument.Meter;
import io.micrometer.prometheusmetrics.PrometheusNamingConvention;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * docs/metrics.md lists exactly the meters of {@link FairlaneMeter}. Run with
 * {@code -Dfairlane.docs.regenerate=true} to rewrite the table after changing the enum.
 */
class MetricsDocTest {

    static final String BEGIN = "<!-- meters:begin (generated from FairlaneMeter by MetricsDocTest) -->";
    static final String END = "<!-- meters:end -->";

    static String prometheusName(FairlaneMeter m) {
        PrometheusNamingConvention c = new PrometheusNamingConvention();
        return switch (m.type()) {
            case COUNTER -> c.name(m.meterName(), Meter.Type.COUNTER, m.baseUnit()) + "_total";
            case TIMER -> c.name(m.meterName(), Meter.Type.TIMER, "seconds") + "_bucket / _count / _sum / _max";
            case SUMMARY -> c.name(m.meterName(), Meter.Type.DISTRIBUTION_SUMMARY, m.baseUnit()) + "_count / _sum / _max";
            case GAUGE -> c.name(m.meterName(), Meter.Type.GAUGE, m.baseUnit());
        };
    }

    static String table() {
        StringBuilder sb = new StringBuilder(BEGIN).append("\n\n");
        sb.append("| Meter (Micrometer) | Prometheus series | Type | Tags | Meaning |\n");
        sb.append("|---|---|---|---|---|\n");
        for (FairlaneMeter m : FairlaneMeter.values()) {
            sb.append("| `").append(m.meterName()).append("` | `").append(prometheusName(m)).append("` | ")
                    .append(m.type().name().toLowerCase(java.util.Locale.ROOT)).append(" | ")
                    .append(String.join(", ", m.tags())).append(" | ").append(m.description()).append(" |\n");
        }
        return sb.append('\n').append(END).toString();
    }

    @Test
    void docsTable_matchesTheEnum() throws Exception {
        Path doc = Fixtures.projectRoot().resolve("docs/metrics.md");
        String text = Files.readString(doc);
        int b = text.indexOf(BEGIN);
        int e = text.indexOf(END);
        assertThat(b).as("docs/metrics.md has the generated-table markers").isGreaterThanOrEqualTo(0);
        String current = text.substring(b, e + END.length());
        if (Boolean.getBoolean("fairlane.docs.regenerate")) {
            Files.writeString(doc, text.replace(current, table()));
            current = table();
        }
        assertThat(current).as("docs/metrics.md is out of date: rerun with -Dfairlane.docs.regenerate=true")
                .isEqualTo(table());
    }
}
