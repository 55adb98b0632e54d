package io.fairlane.gateway.openai;

import io.fairlane.gateway.http.ApiError;
import io.fairlane.gateway.http.ApiException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.function.Function;

/**
 * What every request-parser fuzz target checks: any body, however broken, either parses into a request or is
 * refused with an OpenAI-style 4xx ({@link ApiException}); any other throwable (a NullPointerException, a
 * ClassCastException, a StackOverflowError, a 5xx) is a finding. A target for a new endpoint is a class with one
 * {@code @FuzzTest} method calling {@link #check} with its parser, and a few valid bodies as seeds in its
 * {@code <ClassName>Inputs} resource directory.
 */
final class RequestParsing {

    private RequestParsing() {
    }

    static void check(byte[] body, Function<com.fasterxml.jackson.databind.node.ObjectNode, ?> parser) {
        ByteBuf buf = Unpooled.wrappedBuffer(body);
        try {
            parser.apply(Bodies.parse(buf));
        } catch (ApiException e) {
            ApiError error = e.error();
            if (error.status() < 400 || error.status() > 499 || error.message().isBlank()) {
                throw new AssertionError("a parser refused a body with " + error, e);
            }
        } finally {
            buf.release();
        }
    }
}
