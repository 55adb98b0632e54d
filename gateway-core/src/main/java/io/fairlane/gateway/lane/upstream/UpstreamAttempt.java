package io.fairlane.gateway.lane.upstream;

import io.fairlane.gateway.config.UpstreamModelConfig.Target;
import io.fairlane.gateway.config.UpstreamModelConfig.Timeouts;
import io.fairlane.gateway.lane.routing.Outcome;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * One attempt at one target: the connection (pooled or new; a failure on a reused one before any answer gets one
 * retry on a fresh connection, since the server may have closed it while it idled), the request, and the attempt's
 * deadlines. Reports to its {@link Handler}, which decides what the answer means.
 *
 * <p>Deadlines, from {@link Timeouts}: connect (the socket's); first byte, from the request's send until the handler
 * reports {@link #progress()} for the first time (for a stream, the first event with data: keep-alive comments are
 * not progress); between chunks, from each progress to the next; total, from the start, whatever the progress.
 * While the handler waits for a slow client ({@link #pauseForClient()}), the between-chunks deadline is suspended:
 * a stall the client causes is not the target's.
 *
 * <p>Confined to the client connection's event loop (the upstream connection lives on the same loop).
 */
final class UpstreamAttempt implements UpstreamListener {

    /** What the attempt reports. Every method runs on the event loop. */
    interface Handler {
        /** The response head arrived. */
        void onHead(UpstreamAttempt attempt, HttpResponse head);

        /** A piece of the body; the handler releases it. */
        void onContent(UpstreamAttempt attempt, HttpContent content);

        /** The attempt failed before its answer ended: connect error, reset, or a deadline. */
        void onFailure(UpstreamAttempt attempt, Outcome outcome, Throwable cause);
    }

    private enum Phase { CONNECTING, SENT, ANSWERING, DONE }

    private final UpstreamClient client;
    private final EventLoop loop;
    private final Target target;
    private final Supplier<FullHttpRequest> request;
    private final Handler handler;
    private final Deadline deadline;
    private final long startNanos = System.nanoTime();
    private ScheduledFuture<?> totalTimer;
    private Phase phase = Phase.CONNECTING;
    private UpstreamConnection connection;
    private boolean fresh;
    private boolean retriedStale;
    private boolean progressed;
    private boolean paused;
    private long firstProgressNanos = -1;

    UpstreamAttempt(UpstreamClient client, EventLoop loop, Target target, Supplier<FullHttpRequest> request,
                    Handler handler) {
        this.client = client;
        this.loop = loop;
        this.target = target;
        this.request = request;
        this.handler = handler;
        this.deadline = new Deadline(loop, this::deadlinePassed);
    }

    Target target() {
        return target;
    }

    /** Connects (or takes a pooled connection) and sends the request; the total deadline starts now. */
    void start() {
        totalTimer = loop.schedule(this::totalPassed, target.timeouts().total().toNanos(), TimeUnit.NANOSECONDS);
        connect();
    }

    private void connect() {
        phase = Phase.CONNECTING;
        boolean[] isFresh = new boolean[1];
        Future<UpstreamConnection> f = client.acquire(loop, target.url(), target.timeouts().connect(), isFresh);
        fresh = isFresh[0];
        if (f.isDone()) {
            connected(f);
        } else {
            f.addListener(done -> connected(f));
        }
    }

    private void connected(Future<UpstreamConnection> f) {
        if (phase != Phase.CONNECTING) {
            if (f.isSuccess()) {
                client.release(f.getNow());
            }
            return;
        }
        if (!f.isSuccess()) {
            fail(Outcome.CONNECT_ERROR, f.cause());
            return;
        }
        UpstreamConnection c = f.getNow();
        connection = c;
        c.attach(this);
        phase = Phase.SENT;
        c.channel().writeAndFlush(request.get()).addListener(w -> {
            if (!w.isSuccess() && phase == Phase.SENT && connection == c) {
                onError(w.cause());
            }
        });
        c.read();
        deadline.extend(target.timeouts().firstByte().toNanos());
    }

    @Override
    public void onHead(HttpResponse head) {
        if (phase != Phase.SENT) {
            return;
        }
        phase = Phase.ANSWERING;
        handler.onHead(this, head);
    }

    @Override
    public void onContent(HttpContent content) {
        if (phase != Phase.ANSWERING) {
            ReferenceCountUtil.release(content);
            return;
        }
        handler.onContent(this, content);
    }

    @Override
    public void onError(Throwable cause) {
        if (phase == Phase.DONE) {
            return;
        }
        connection = null;
        if (phase == Phase.SENT && !fresh && !retriedStale) {
            // A pooled connection the server had already closed: once more on a fresh one, same target.
            retriedStale = true;
            deadline.cancel();
            connect();
            return;
        }
        fail(Outcome.RESET, cause);
    }

    /** The handler made progress (an event with data, body bytes): the between-chunks deadline starts again. */
    void progress() {
        if (phase == Phase.DONE) {
            return;
        }
        if (!progressed) {
            progressed = true;
            firstProgressNanos = System.nanoTime() - startNanos;
        }
        if (!paused) {
            deadline.extend(target.timeouts().betweenChunks().toNanos());
        }
    }

    /** Whether the first progress was reported. */
    boolean progressed() {
        return progressed;
    }

    /** Nanos from the start to the first progress, or -1. */
    long timeToFirstByte() {
        return firstProgressNanos;
    }

    /** Nanos since the attempt started. */
    long elapsed() {
        return System.nanoTime() - startNanos;
    }

    /** The handler waits for the client to take what it was sent: silence now is not the target's doing. */
    void pauseForClient() {
        paused = true;
        deadline.cancel();
    }

    /** The client caught up: the between-chunks deadline runs again, from now. */
    void resumeAfterClient() {
        paused = false;
        if (phase != Phase.DONE) {
            deadline.extend((progressed ? target.timeouts().betweenChunks() : target.timeouts().firstByte()).toNanos());
        }
    }

    /** Whether it waits for the client now. */
    boolean pausedForClient() {
        return paused;
    }

    /** Asks for the next chunk. */
    void read() {
        if (connection != null && phase != Phase.DONE) {
            connection.read();
        }
    }

    /** The answer ended cleanly: the connection goes back to the pool when it can be reused. */
    void finish() {
        end();
        UpstreamConnection c = connection;
        connection = null;
        if (c != null) {
            client.release(c);
        }
    }

    /** The attempt is abandoned (failed over, client gone, an unusable answer): its connection is closed. */
    void abandon() {
        end();
        UpstreamConnection c = connection;
        connection = null;
        if (c != null) {
            client.discard(c);
        }
    }

    private void end() {
        phase = Phase.DONE;
        deadline.cancel();
        if (totalTimer != null) {
            totalTimer.cancel(false);
            totalTimer = null;
        }
    }

    private void deadlinePassed() {
        if (phase != Phase.DONE && !paused) {
            fail(Outcome.TIMEOUT, null);
        }
    }

    private void totalPassed() {
        totalTimer = null;
        if (phase != Phase.DONE) {
            fail(paused ? Outcome.SLOW_CLIENT : Outcome.TIMEOUT, null);
        }
    }

    private void fail(Outcome outcome, Throwable cause) {
        if (phase == Phase.DONE) {
            return;
        }
        abandon();
        handler.onFailure(this, outcome, cause);
    }

    @Override
    public String toString() {
        return "UpstreamAttempt[" + target.name() + " " + phase + "]";
    }
}
