package io.fairlane.gateway.lane.upstream;

import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;

/**
 * Receives one upstream response on the connection's event loop. {@link #onContent} hands over the
 * content, which the listener must release.
 */
public interface UpstreamListener {

    void onHead(HttpResponse head);

    /** A piece of the body; a {@link io.netty.handler.codec.http.LastHttpContent} ends it. */
    void onContent(HttpContent content);

    /** The connection failed or closed before the response ended. */
    void onError(Throwable cause);
}
