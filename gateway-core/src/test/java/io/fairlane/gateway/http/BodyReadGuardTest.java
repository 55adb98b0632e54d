package io.fairlane.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The body guard on its own, with a 300 ms grace and no rate allowance: a body that stalls is refused with a
 * failed 408 request, one that completes is not, and time the server spends not reading (a streaming consumer with
 * AUTO_READ off that has not asked for more) is not held against the client.
 */
class BodyReadGuardTest {

    private final EmbeddedChannel ch = new EmbeddedChannel(new BodyReadGuard(Duration.ofMillis(300), 0,
            new ConnectionEvents(ConnectionStats.NONE)));

    @AfterEach
    void close() {
        ch.finishAndReleaseAll();
    }

    private static HttpRequest post() {
        DefaultHttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/v1/upload");
        r.headers().set("content-length", 100);
        return r;
    }

    private FullHttpRequest refusedAfter(long millis) throws InterruptedException {
        Thread.sleep(millis);
        ch.runScheduledPendingTasks();
        Object last = null;
        Object o;
        while ((o = ch.readInbound()) != null) {
            if (last != null) {
                io.netty.util.ReferenceCountUtil.release(last);
            }
            last = o;
        }
        if (last instanceof FullHttpRequest r && r.decoderResult().isFailure()) {
            return r;
        }
        io.netty.util.ReferenceCountUtil.release(last);
        return null;
    }

    @Test
    void stalledBody_isRefusedWith408() throws InterruptedException {
        ch.writeInbound(post(), new DefaultHttpContent(Unpooled.wrappedBuffer(new byte[10])));
        FullHttpRequest refused = refusedAfter(600);
        assertThat(refused).isNotNull();
        assertThat(ErrorMapper.framing(refused.decoderResult().cause()).status()).isEqualTo(408);
        refused.release();
    }

    @Test
    void completedBody_isNotRefused() throws InterruptedException {
        ch.writeInbound(post(), new DefaultHttpContent(Unpooled.wrappedBuffer(new byte[10])));
        ch.writeInbound(new DefaultLastHttpContent(Unpooled.wrappedBuffer(new byte[90])));
        assertThat(refusedAfter(600)).isNull();
    }

    @Test
    void serverNotReading_timeIsNotCounted() throws InterruptedException {
        ch.config().setAutoRead(false);
        ch.writeInbound(post(), new DefaultHttpContent(Unpooled.wrappedBuffer(new byte[10])));
        assertThat(refusedAfter(600)).as("held by the server, not the client").isNull();
    }

    @Test
    void serverAsksForMoreAndNoneComes_isRefusedWith408() throws InterruptedException {
        ch.config().setAutoRead(false);
        ch.writeInbound(post(), new DefaultHttpContent(Unpooled.wrappedBuffer(new byte[10])));
        Thread.sleep(200);
        ch.read(); // the consumer is ready for more; from here the client is on the clock again
        FullHttpRequest refused = refusedAfter(700);
        assertThat(refused).isNotNull();
        refused.release();
    }
}
