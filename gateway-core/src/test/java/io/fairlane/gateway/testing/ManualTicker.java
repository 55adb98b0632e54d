package io.fairlane.gateway.testing;

import io.fairlane.scheduler.Ticker;
import java.time.Duration;

/** Virtual time for tests: starts at an arbitrary non-zero reading and moves only when told. */
public final class ManualTicker implements Ticker {

    private long nanos = 1_234_567_890L;

    @Override
    public synchronized long nanos() {
        return nanos;
    }

    public synchronized void advance(Duration by) {
        nanos += by.toNanos();
    }
}
