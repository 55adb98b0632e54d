package io.fairlane.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.gateway.testing.LogCapture;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConnectionEventsTest {

    private final Map<ConnectionEvent, Integer> counted = new EnumMap<>(ConnectionEvent.class);
    private final ConnectionEvents events = new ConnectionEvents(e -> counted.merge(e, 1, Integer::sum));

    @Test
    void report_manyOfOneKind_countsEveryOneAndLogsAFew() {
        try (LogCapture logs = new LogCapture(ConnectionEvents.class.getName())) {
            for (int i = 0; i < 500; i++) {
                events.report(ConnectionEvent.BODY_TIMEOUT, null, "slow");
            }
            assertThat(counted.get(ConnectionEvent.BODY_TIMEOUT)).isEqualTo(500);
            assertThat(logs.messages()).hasSize(ConnectionEvents.LINES_PER_WINDOW);
        }
    }

    @Test
    void report_kindsHaveTheirOwnBudgets() {
        try (LogCapture logs = new LogCapture(ConnectionEvents.class.getName())) {
            for (int i = 0; i < 50; i++) {
                events.report(ConnectionEvent.BODY_TIMEOUT, null, "slow");
            }
            events.report(ConnectionEvent.MALFORMED_REQUEST, null, "bad");
            assertThat(logs.messages()).last().asString().startsWith("malformed_request");
        }
    }

    @Test
    void report_clientCausedEvent_isOneInfoLineWithoutStackTrace() {
        try (LogCapture logs = new LogCapture(ConnectionEvents.class.getName())) {
            events.report(ConnectionEvent.CLIENT_GONE_MID_REQUEST, null, "left", new IllegalStateException("x"));
            assertThat(logs.events()).singleElement().satisfies(e -> {
                assertThat(e.getLevel().toString()).isEqualTo("INFO");
                assertThat(e.getThrowableProxy()).isNull();
            });
        }
    }

    @Test
    void report_faultOfOurs_isAWarnWithItsCause() {
        try (LogCapture logs = new LogCapture(ConnectionEvents.class.getName())) {
            events.report(ConnectionEvent.UNEXPECTED_ERROR, null, "boom", new IllegalStateException("x"));
            assertThat(logs.events()).singleElement().satisfies(e -> {
                assertThat(e.getLevel().toString()).isEqualTo("WARN");
                assertThat(e.getThrowableProxy()).isNotNull();
            });
        }
    }
}
