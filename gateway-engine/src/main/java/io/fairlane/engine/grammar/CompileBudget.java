package io.fairlane.engine.grammar;

/**
 * Bounds the work of one compilation, so that a pathological schema (a regular expression whose automaton
 * explodes, {@code anyOf}s nested many levels deep) is refused in a bounded time instead of hanging the
 * caller: states created, and wall time as a backstop. Both are counted as the automata are built, never
 * afterwards.
 *
 * <p>Mutable; confined to the compiling thread.
 */
final class CompileBudget {

    /** Automaton states (character and byte NFAs, DFAs) one compilation may create. */
    static final int DEFAULT_STATES = 1_000_000;
    /** The most wall time one compilation may take. */
    static final long DEFAULT_NANOS = 1_000_000_000L;

    private final int maxStates;
    private final long deadline;
    private int states;

    CompileBudget(int maxStates, long maxNanos) {
        this.maxStates = maxStates;
        this.deadline = System.nanoTime() + maxNanos;
    }

    static CompileBudget standard() {
        return new CompileBudget(DEFAULT_STATES, DEFAULT_NANOS);
    }

    /** Counts {@code n} new states; refuses the schema once over budget. */
    void states(int n) {
        states += n;
        if (states > maxStates) {
            throw new SchemaException("the schema is too complex: its grammar needs more than " + maxStates
                    + " automaton states", "", "");
        }
        if ((states & 0x3FF) < n && System.nanoTime() > deadline) {
            throw tooSlow();
        }
    }

    /** Checks the clock (call from loops that create no states). */
    void tick() {
        if (System.nanoTime() > deadline) {
            throw tooSlow();
        }
    }

    int used() {
        return states;
    }

    private SchemaException tooSlow() {
        return new SchemaException("the schema is too complex: compiling its grammar took longer than the budget",
                "", "");
    }
}
