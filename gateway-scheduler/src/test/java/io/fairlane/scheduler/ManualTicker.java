package io.fairlane.scheduler;

/** A virtual clock for tests: time moves only when the test says so. */
final class ManualTicker implements Ticker {

    private long nanos;

    @Override
    public long nanos() {
        return nanos;
    }

    void advanceMillis(long millis) {
        nanos += millis * 1_000_000L;
    }

    void advanceNanos(long n) {
        nanos += n;
    }
}
