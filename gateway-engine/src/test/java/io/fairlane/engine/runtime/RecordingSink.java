package io.fairlane.engine.runtime;

import io.fairlane.engine.TokenEvent;
import io.fairlane.engine.TokenSink;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** Collects a request's events and lets a test wait for the terminal one. */
final class RecordingSink implements TokenSink {

    private final List<TokenEvent> events = new ArrayList<>();
    private final CountDownLatch done = new CountDownLatch(1);
    private final CountDownLatch firstToken = new CountDownLatch(1);

    @Override
    public synchronized void accept(TokenEvent event) {
        events.add(event);
        if (event instanceof TokenEvent.Token) {
            firstToken.countDown();
        }
        if (event instanceof TokenEvent.Finished || event instanceof TokenEvent.Failed) {
            done.countDown();
        }
    }

    RecordingSink await() {
        try {
            if (!done.await(30, TimeUnit.SECONDS)) {
                throw new AssertionError("no terminal event within 30 s; got " + events());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
        return this;
    }

    /** Whether the terminal event has arrived. */
    boolean isDone() {
        return done.getCount() == 0;
    }

    void awaitFirstToken() throws InterruptedException {
        if (!firstToken.await(30, TimeUnit.SECONDS)) {
            throw new AssertionError("no token within 30 s");
        }
    }

    synchronized List<TokenEvent> events() {
        return List.copyOf(events);
    }

    /** Token ids of one choice, in order. */
    synchronized List<Integer> tokens(int choice) {
        return events.stream().filter(e -> e instanceof TokenEvent.Token t && t.choice() == choice)
                .map(e -> ((TokenEvent.Token) e).tokenId()).toList();
    }

    synchronized String text(int choice) {
        StringBuilder sb = new StringBuilder();
        events.stream().filter(e -> e instanceof TokenEvent.Token t && t.choice() == choice)
                .forEach(e -> sb.append(((TokenEvent.Token) e).text()));
        return sb.toString();
    }

    synchronized TokenEvent last() {
        return events.getLast();
    }
}
