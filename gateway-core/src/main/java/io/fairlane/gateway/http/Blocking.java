package io.fairlane.gateway.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Function;

/**
 * Request handlers whose work blocks (storage reads and writes): the work runs on {@code executor} (virtual threads),
 * and its result, or its failure, is answered back on the exchange's event loop. The event-loop counterpart of
 * {@link PreparationPool}, which is for CPU work.
 */
public final class Blocking {

    private Blocking() {
    }

    /**
     * Runs {@code work} on {@code executor} and answers 200 with the JSON it returns; whatever it throws goes
     * through the error mapper, after {@code translate} had a chance to turn it into an {@link ApiException}.
     */
    public static void respondJson(Exchange exchange, Executor executor, Callable<? extends JsonNode> work,
                                   Function<Throwable, Throwable> translate) {
        Objects.requireNonNull(work, "work");
        try {
            executor.execute(() -> {
                JsonNode result;
                try {
                    result = work.call();
                } catch (Throwable t) {
                    Throwable answer = translate.apply(t);
                    answer(exchange, () -> exchange.fail(answer));
                    return;
                }
                answer(exchange, () -> exchange.respond(HttpResponseStatus.OK, Json.write(exchange.alloc(), result)));
            });
        } catch (RejectedExecutionException e) {
            throw ApiException.unavailable("The server is shutting down; retry on another instance.", 1);
        }
    }

    /** Runs {@code answer} on the exchange's loop unless the exchange ended meanwhile (the client left). */
    public static void answer(Exchange exchange, Runnable answer) {
        exchange.tryExecute(() -> {
            if (!exchange.isDone()) {
                answer.run();
            }
        });
    }
}
