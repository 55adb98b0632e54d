package io.fairlane.gateway.http;

import java.util.List;
import java.util.function.Function;

/**
 * Serves one exchange. Called on the exchange's event loop; must not block. It may answer at once or
 * later (from the event loop); a throwable it throws is answered by the error mapper.
 *
 * <p>Cross-cutting behaviour (request ids, authentication, metrics) wraps handlers as decorators,
 * {@code Function<HttpHandler, HttpHandler>}, so they compose instead of nesting.
 */
@FunctionalInterface
public interface HttpHandler {

    void serve(Exchange exchange) throws Exception;

    /** This handler wrapped by {@code decorators}, the first one outermost. */
    default HttpHandler decorate(List<Function<HttpHandler, HttpHandler>> decorators) {
        HttpHandler h = this;
        for (int i = decorators.size() - 1; i >= 0; i--) {
            h = decorators.get(i).apply(h);
        }
        return h;
    }
}
