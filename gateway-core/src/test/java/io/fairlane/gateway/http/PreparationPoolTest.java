package io.fairlane.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import io.netty.channel.local.LocalChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The preparation pool's contract with the event loop: results come back on the exchange's loop, a full queue is
 * a 503 that says so, and a client that leaves loses nothing (queued work never runs, a finished result is
 * discarded, the retained body is released either way).
 */
class PreparationPoolTest {

    private final PreparationPool pool = new PreparationPool(1, 1);
    private final EventLoop loop = new DefaultEventLoop();
    private final List<Channel> channels = new ArrayList<>();
    private final CountDownLatch gate = new CountDownLatch(1);

    /** Code that runs on the event loop, as the pool's callers do. */
    @FunctionalInterface
    private interface OnLoop {
        void run() throws Exception;
    }

    @AfterEach
    void close() throws Exception {
        gate.countDown();
        pool.close();
        for (Channel c : channels) {
            c.close().await(5, TimeUnit.SECONDS);
        }
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
    }

    /** An exchange on a channel of {@link #loop} (never connected: what it would send is dropped). */
    private Exchange exchange(int bodyBytes) throws Exception {
        LocalChannel channel = new LocalChannel();
        loop.register(channel).sync();
        channels.add(channel);
        FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/v1/x",
                Unpooled.copiedBuffer("x".repeat(bodyBytes), StandardCharsets.US_ASCII));
        return new Exchange(channel, request, "req-" + channels.size(), new ServerState(), true);
    }

    private void onLoop(OnLoop code) throws Exception {
        loop.submit(() -> {
            code.run();
            return null;
        }).get(5, TimeUnit.SECONDS);
    }

    private <T> T fromLoop(java.util.concurrent.Callable<T> read) {
        try {
            return loop.submit(read).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Occupies the pool's one thread until the test ends. */
    private void blockTheThread() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        Exchange e = exchange(1);
        onLoop(() -> pool.run(e, false, () -> {
            started.countDown();
            gate.await();
            return 0;
        }, r -> { }));
        started.await(5, TimeUnit.SECONDS);
    }

    /** Waits until {@code done}, or 5 s. */
    private static void await(java.util.function.BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!done.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(2);
        }
    }

    /** A job that counts what happens to it. */
    private static final class Counting implements PreparationPool.Job<String> {
        final AtomicInteger ran = new AtomicInteger();
        final AtomicInteger then = new AtomicInteger();
        final AtomicInteger discarded = new AtomicInteger();
        final AtomicInteger dropped = new AtomicInteger();
        final List<String> threads = new ArrayList<>();

        @Override
        public String run() {
            ran.incrementAndGet();
            threads.add(Thread.currentThread().getName());
            return "done";
        }

        @Override
        public void then(String result) {
            threads.add(Thread.currentThread().getName());
            then.incrementAndGet();
        }

        @Override
        public void discard(String result) {
            discarded.incrementAndGet();
        }

        @Override
        public void dropped() {
            dropped.incrementAndGet();
        }
    }

    @Test
    void run_offTheLoop_runsInThePoolThenOnTheExchangesLoop() throws Exception {
        Exchange e = exchange(10);
        Counting job = new Counting();
        onLoop(() -> pool.run(e, false, job));
        await(() -> job.then.get() == 1);

        assertThat(job.threads).hasSize(2).satisfiesExactly(
                t -> assertThat(t).startsWith("fairlane-prepare-"),
                t -> assertThat(e.eventLoop().inEventLoop(threadNamed(t))).isTrue());
    }

    private static Thread threadNamed(String name) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals(name)).findFirst()
                .orElseThrow();
    }

    @Test
    void run_inline_runsAtOnceOnTheCallingThread() throws Exception {
        Counting job = new Counting();
        Exchange e = exchange(10);
        onLoop(() -> pool.run(e, true, job));

        assertThat(job.then.get() + " " + job.threads.get(0).equals(job.threads.get(1))).isEqualTo("1 true");
    }

    @Test
    void run_queueFull_isA503SayingThePreparationQueueIsFull() throws Exception {
        blockTheThread();
        Exchange queued = exchange(1);
        onLoop(() -> pool.run(queued, false, new Counting())); // the one place in the queue
        Exchange refused = exchange(1);

        assertThatThrownBy(() -> onLoop(() -> pool.run(refused, false, new Counting())))
                .hasCauseInstanceOf(ApiException.class)
                .cause().satisfies(ex -> assertThat(((ApiException) ex).error().status() + " "
                        + ((ApiException) ex).error().headers().get("retry-after") + " " + ex.getMessage())
                        .startsWith("503 1 The gateway's prompt-preparation queue is full"));
    }

    @Test
    void run_queueFull_countsTheRejectionAndDropsTheJob() throws Exception {
        blockTheThread();
        Exchange queued = exchange(1);
        onLoop(() -> pool.run(queued, false, new Counting()));
        Exchange e = exchange(1);
        Counting refused = new Counting();
        onLoop(() -> {
            try {
                pool.run(e, false, refused);
            } catch (ApiException expected) {
                // counted below
            }
        });

        assertThat(new long[] {pool.rejections(), refused.dropped.get(), refused.ran.get()}).containsExactly(1, 1, 0);
    }

    @Test
    void clientGone_whileQueued_dropsTheJobWithoutRunningIt() throws Exception {
        blockTheThread();
        Exchange e = exchange(10);
        Counting job = new Counting();
        onLoop(() -> pool.run(e, false, job));
        onLoop(e::clientGone);

        assertThat(new int[] {job.dropped.get(), job.ran.get(), pool.queueDepth()}).containsExactly(1, 0, 0);
    }

    @Test
    void clientGone_whileRunning_discardsTheResultInsteadOfUsingIt() throws Exception {
        Exchange e = exchange(10);
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch proceed = new CountDownLatch(1);
        AtomicInteger then = new AtomicInteger();
        AtomicInteger discarded = new AtomicInteger();
        onLoop(() -> pool.run(e, false, new PreparationPool.Job<String>() {
            @Override
            public String run() throws Exception {
                running.countDown();
                proceed.await(5, TimeUnit.SECONDS);
                return "result";
            }

            @Override
            public void then(String result) {
                then.incrementAndGet();
            }

            @Override
            public void discard(String result) {
                discarded.incrementAndGet();
            }
        }));
        running.await(5, TimeUnit.SECONDS);
        onLoop(e::clientGone);
        proceed.countDown();
        await(() -> discarded.get() == 1);

        assertThat(new int[] {discarded.get(), then.get()}).containsExactly(1, 0);
    }

    @Test
    void parse_largeBodyWhoseClientLeftWhileQueued_releasesTheRetainedBody() throws Exception {
        blockTheThread();
        Exchange e = exchange(PreparationPool.PARSE_INLINE_LIMIT + 1);
        ByteBuf body = e.body();
        onLoop(() -> pool.parse(e, ByteBuf::readableBytes, n -> { }));
        onLoop(e::clientGone); // ends the exchange, which releases the request: only the pool's view was left

        assertThat(body.refCnt()).isZero();
    }

    @Test
    void parse_largeBody_parsesInThePoolAndReleasesItsView() throws Exception {
        Exchange e = exchange(PreparationPool.PARSE_INLINE_LIMIT + 1);
        AtomicInteger parsed = new AtomicInteger();
        onLoop(() -> pool.parse(e, ByteBuf::readableBytes, parsed::set));
        await(() -> parsed.get() > 0);

        assertThat(new int[] {parsed.get(), e.body().refCnt()}).containsExactly(PreparationPool.PARSE_INLINE_LIMIT + 1, 1);
    }

    @Test
    void run_failingJob_answersWithItsError() throws Exception {
        Exchange e = exchange(10);
        onLoop(() -> pool.run(e, false, () -> {
            throw ApiException.invalidRequest("no", "messages", "invalid_value");
        }, r -> { }));
        await(() -> fromLoop(e::isDone));

        assertThat(fromLoop(() -> e.log().status)).isEqualTo(400);
    }
}
