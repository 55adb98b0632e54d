package io.fairlane.gateway.lane.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.engine.TokenEvent;
import io.netty.channel.DefaultEventLoop;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Engine events reach the event loop in batches: one task for a burst, in the order posted, across requests. */
class EngineEventMailboxTest {

    private static TokenEvent token(int i) {
        return new TokenEvent.Token(0, i, "t" + i, null, false);
    }

    @Test
    void post_burstWhileLoopBusy_oneTaskHandsOnEveryEventInOrder() throws Exception {
        DefaultEventLoop loop = new DefaultEventLoop();
        try {
            EngineEventMailbox mailbox = new EngineEventMailbox(loop);
            List<String> seen = new ArrayList<>();
            EngineEventGate first = new EngineEventGate(mailbox);
            EngineEventGate second = new EngineEventGate(mailbox);
            loop.submit(() -> {
                first.attach((prompt, e) -> seen.add("a" + ((TokenEvent.Token) e).tokenId()));
                second.attach((prompt, e) -> seen.add("b" + ((TokenEvent.Token) e).tokenId()));
            }).sync();
            CountDownLatch busy = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            loop.execute(() -> {
                busy.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            int queued;
            try {
                assertThat(busy.await(10, TimeUnit.SECONDS)).isTrue();
                for (int i = 0; i < 8; i++) {
                    first.sink(0).accept(token(i)); // as the engine's loop does, from its own thread
                    second.sink(0).accept(token(i));
                }
                queued = loop.pendingTasks();
            } finally {
                release.countDown();
            }
            assertThat(queued).as("tasks queued for a step's 16 events").isEqualTo(1);
            loop.submit(() -> { }).sync();
            assertThat(seen).containsExactly("a0", "b0", "a1", "b1", "a2", "b2", "a3", "b3", "a4", "b4", "a5", "b5",
                    "a6", "b6", "a7", "b7");
        } finally {
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void post_eventsBeforeAttach_areHeldAndHandedOnFirst() throws Exception {
        DefaultEventLoop loop = new DefaultEventLoop();
        try {
            EngineEventGate gate = new EngineEventGate(new EngineEventMailbox(loop));
            gate.sink(2).accept(token(1));
            loop.submit(() -> { }).sync();
            List<Integer> seen = new ArrayList<>();
            loop.submit(() -> gate.attach((prompt, e) -> seen.add(prompt))).sync();
            gate.sink(3).accept(token(2));
            loop.submit(() -> { }).sync();
            assertThat(seen).containsExactly(2, 3);
        } finally {
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void post_loopShutDown_dropsTheEventAndSaysSo() throws Exception {
        DefaultEventLoop loop = new DefaultEventLoop();
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        EngineEventMailbox mailbox = new EngineEventMailbox(loop);
        assertThat(mailbox.post(new EngineEventGate(mailbox), 0, token(0))).isFalse();
    }
}
