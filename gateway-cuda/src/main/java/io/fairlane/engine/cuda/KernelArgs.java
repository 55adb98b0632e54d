package io.fairlane.engine.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Kernel parameters in the form cuLaunchKernel takes them: an array of pointers, each pointing at one
 * parameter's value. Values live in native memory owned by this object, which is reused launch after launch
 * (the driver copies parameters when a launch is issued, also while a graph is being captured), so a launch
 * allocates nothing. Confined to one thread.
 */
final class KernelArgs {

    static final int MAX_ARGS = 32;

    private final MemorySegment values;
    private final MemorySegment pointers;
    private int count;

    KernelArgs(Arena arena) {
        this.values = arena.allocate(8L * MAX_ARGS, 16);
        this.pointers = arena.allocate(8L * MAX_ARGS, 16);
        for (int i = 0; i < MAX_ARGS; i++) {
            pointers.setAtIndex(ValueLayout.JAVA_LONG, i, values.address() + 8L * i);
        }
    }

    KernelArgs reset() {
        count = 0;
        return this;
    }

    /** A device pointer (0 for null). */
    KernelArgs ptr(long address) {
        values.setAtIndex(ValueLayout.JAVA_LONG, slot(), address);
        return this;
    }

    KernelArgs i32(int value) {
        values.set(ValueLayout.JAVA_INT, 8L * slot(), value);
        return this;
    }

    KernelArgs i64(long value) {
        values.setAtIndex(ValueLayout.JAVA_LONG, slot(), value);
        return this;
    }

    KernelArgs f32(float value) {
        values.set(ValueLayout.JAVA_FLOAT, 8L * slot(), value);
        return this;
    }

    int count() {
        return count;
    }

    /** The {@code void**} to hand to the launch. */
    MemorySegment pointerArray() {
        return pointers;
    }

    private int slot() {
        if (count == MAX_ARGS) {
            throw new IllegalStateException("more than " + MAX_ARGS + " kernel arguments");
        }
        return count++;
    }
}
