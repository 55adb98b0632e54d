package io.fairlane.gateway.testing;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives integration tests the shared {@link TestGateway} (started on first use, stopped when the test JVM's
 * last test has run) and fails a test class whose requests leaked Netty buffers.
 */
public final class GatewayExtension implements ParameterResolver, AfterAllCallback {

    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(GatewayExtension.class);

    @Override
    public boolean supportsParameter(ParameterContext p, ExtensionContext c) {
        return p.getParameter().getType() == TestGateway.class;
    }

    @Override
    public Object resolveParameter(ParameterContext p, ExtensionContext c) {
        return shared(c);
    }

    public static TestGateway shared(ExtensionContext c) {
        return c.getRoot().getStore(NS).getOrComputeIfAbsent("gateway", k -> {
            try {
                return new Holder(new TestGateway());
            } catch (Exception e) {
                throw new IllegalStateException("starting the test gateway failed", e);
            }
        }, Holder.class).gateway;
    }

    @Override
    public void afterAll(ExtensionContext context) {
        assertThat(LeakRecorder.check()).as("Netty buffers leaked by " + context.getDisplayName()).isEmpty();
    }

    /** Closes the gateway when the root context closes. */
    private record Holder(TestGateway gateway) implements ExtensionContext.Store.CloseableResource, AutoCloseable {
        @Override
        public void close() throws Exception {
            gateway.close();
        }
    }
}
