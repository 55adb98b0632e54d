package io.fairlane.gateway.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class DiscoveryTest {

    private static InetAddress ip(String literal) throws UnknownHostException {
        return InetAddress.getByName(literal);
    }

    @Test
    void dns_recordsAddedAndRemoved_areToldWithoutRestart() throws Exception {
        AtomicReference<Object> answer = new AtomicReference<>(List.of(ip("10.0.0.1"), ip("10.0.0.2")));
        BlockingQueue<Set<URI>> changes = new LinkedBlockingQueue<>();
        @SuppressWarnings("unchecked")
        Discovery.Resolver resolver = host -> {
            Object a = answer.get();
            if (a instanceof UnknownHostException e) {
                throw e;
            }
            return (List<InetAddress>) a;
        };
        try (Discovery d = Discovery.dns("http", "engine.fairlane.svc", 8080, Duration.ofMillis(10), resolver,
                changes::add)) {
            assertThat(changes.poll(5, TimeUnit.SECONDS)).containsExactlyInAnyOrder(
                    URI.create("http://10.0.0.1:8080"), URI.create("http://10.0.0.2:8080"));

            answer.set(List.of(ip("10.0.0.2"), ip("10.0.0.3")));
            assertThat(changes.poll(5, TimeUnit.SECONDS)).containsExactlyInAnyOrder(
                    URI.create("http://10.0.0.2:8080"), URI.create("http://10.0.0.3:8080"));

            answer.set(new UnknownHostException("SERVFAIL"));
            Thread.sleep(100);
            assertThat(changes).isEmpty();
            assertThat(d.current()).hasSize(2);
        }
    }

    @Test
    void fixed_listIsToldOnce() {
        AtomicReference<Set<URI>> told = new AtomicReference<>();
        try (Discovery d = Discovery.fixed(List.of(URI.create("http://a:1"), URI.create("http://b:1")), told::set)) {
            assertThat(told.get()).hasSize(2);
            assertThat(d.current()).isEqualTo(told.get());
        }
    }
}
