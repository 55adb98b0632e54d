package io.fairlane.engine.exec;

/**
 * A forward step queued by {@link ExecutionBackend#submit}: the device may still be running it. Awaited from the
 * engine loop thread, the same thread that submitted it; awaiting again returns the same result.
 */
@FunctionalInterface
public interface PendingStep {

    /** Waits for the step and returns its outputs, one per input sequence in order. */
    StepResult await();
}
