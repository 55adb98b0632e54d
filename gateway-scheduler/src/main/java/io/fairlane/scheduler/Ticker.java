package io.fairlane.scheduler;

/**
 * A source of monotonic nanoseconds. Production code uses {@link #system()}; tests and the simulator
 * inject a virtual clock so that every fairness property is checked on deterministic time.
 */
@FunctionalInterface
public interface Ticker {

    /** Monotonic time in nanoseconds; only differences between two readings are meaningful. */
    long nanos();

    /** The JVM's monotonic clock. */
    static Ticker system() {
        return System::nanoTime;
    }
}
