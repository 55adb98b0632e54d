package io.fairlane.gateway.http;

import io.netty.handler.codec.DefaultHeaders;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;

/**
 * Header maps sized for what the gateway actually sends and receives. Netty's default allocates a 16-slot,
 * validating table for every message, trailers included, even when they stay empty; on a proxied request
 * that is six or more tables. Messages the gateway composes itself (names and values it controls or took
 * from already-decoded headers) skip validation; messages without trailers share the immutable empty map.
 */
public final class Headers {

    /** Headers of responses and upstream requests the gateway writes: 8 slots, no validation. */
    public static final HttpHeadersFactory OUTGOING = new Compact(8, false);

    /** Trailers of messages the gateway writes: none. */
    public static final HttpHeadersFactory NO_TRAILERS = new HttpHeadersFactory() {
        @Override
        public HttpHeaders newHeaders() {
            return EmptyHttpHeaders.INSTANCE;
        }

        @Override
        public HttpHeaders newEmptyHeaders() {
            return EmptyHttpHeaders.INSTANCE;
        }
    };

    /** Trailers the decoders produce (almost always empty): a 2-slot validating map. */
    public static final HttpHeadersFactory DECODED_TRAILERS = new Compact(2, true);

    /** Headers of upstream responses: 8 slots, no validation (the decoder has already split them). */
    public static final HttpHeadersFactory UPSTREAM_RESPONSE = new Compact(8, false);

    private Headers() {
    }

    private static final class Compact implements HttpHeadersFactory {
        private final int sizeHint;
        private final boolean validate;

        Compact(int sizeHint, boolean validate) {
            this.sizeHint = sizeHint;
            this.validate = validate;
        }

        @Override
        public HttpHeaders newHeaders() {
            return new SizedHeaders(sizeHint, validate);
        }

        @Override
        public HttpHeaders newEmptyHeaders() {
            return new SizedHeaders(2, validate);
        }
    }

    private static final class SizedHeaders extends DefaultHttpHeaders {
        @SuppressWarnings("unchecked")
        SizedHeaders(int sizeHint, boolean validate) {
            super(validate ? DefaultHttpHeadersFactory.headersFactory().getNameValidator()
                            : (DefaultHeaders.NameValidator<CharSequence>) DefaultHeaders.NameValidator.NOT_NULL,
                    validate ? DefaultHttpHeadersFactory.headersFactory().getValueValidator()
                            : (DefaultHeaders.ValueValidator<CharSequence>) DefaultHeaders.ValueValidator.NO_VALIDATION,
                    sizeHint);
        }
    }
}
