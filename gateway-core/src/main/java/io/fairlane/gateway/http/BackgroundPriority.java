package io.fairlane.gateway.http;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.Locale;
import java.util.Optional;

/**
 * Lowers a thread's CPU scheduling priority (its Linux nice value), for threads whose work should yield to the
 * event loops and the engine's loop when cores are short. Moving tokenisation off the event loops only helps the
 * other connections if the loop then gets a core when it needs one; on a machine with few cores, a preparation
 * thread at the same priority still competes with it for every time slice. At nice +10 the kernel gives such a
 * thread about a ninth of the CPU share of a normal one while both want to run, and all of an idle core.
 *
 * <p>Java has no portable way to do this (thread priorities are ignored on Linux), so this calls libc's
 * {@code setpriority} for the calling thread's id through the foreign-function API. Best effort: elsewhere, or
 * where the call is refused, threads keep the normal priority and {@link #lowerCurrentThread} says so.
 */
final class BackgroundPriority {

    /** How much nicer than normal background threads are. */
    static final int NICE = 10;

    private static final int PRIO_PROCESS = 0;

    private BackgroundPriority() {
    }

    private record Calls(MethodHandle gettid, MethodHandle setpriority) {
    }

    private static final Optional<Calls> CALLS = lookUp();

    private static Optional<Calls> lookUp() {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
            return Optional.empty();
        }
        try {
            Linker linker = Linker.nativeLinker();
            SymbolLookup libc = linker.defaultLookup();
            MethodHandle gettid = linker.downcallHandle(libc.find("gettid").orElseThrow(),
                    FunctionDescriptor.of(JAVA_INT));
            MethodHandle setpriority = linker.downcallHandle(libc.find("setpriority").orElseThrow(),
                    FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
            return Optional.of(new Calls(gettid, setpriority));
        } catch (RuntimeException | LinkageError e) {
            return Optional.empty();
        }
    }

    /** Sets the calling thread's nice value to {@link #NICE}; whether it worked. */
    static boolean lowerCurrentThread() {
        if (CALLS.isEmpty()) {
            return false;
        }
        try {
            int tid = (int) CALLS.get().gettid().invokeExact();
            int rc = (int) CALLS.get().setpriority().invokeExact(PRIO_PROCESS, tid, NICE);
            return rc == 0;
        } catch (Throwable t) {
            return false;
        }
    }
}
