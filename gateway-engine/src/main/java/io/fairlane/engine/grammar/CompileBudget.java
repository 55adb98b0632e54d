package io.fairlane.engine.grammar;

/**
 * Bounds the work of one compilation, so that a pathological schema (a regular expression whose automaton
 * explodes, {@code anyOf}s nested many levels deep) is refused in a bounded time instead of hanging the
 * caller: states created, and steps of the loops that create none. Both are counted as the automata are built,
 * never afterwards. The bound is on work, not on wall time, so a schema is accepted or refused the same way on a
 * busy machine as on an idle one.
 *
 * <p>Mutable; confined to the compiling thread.
 */
final class CompileBudget {

    /** Automaton states (character and byte NFAs, DFAs) one compilation may create. */
    static final int DEFAULT_STATES = 1_000_000;
    /**
     * Steps ({@link #tick}) one compilation may take: each is one schema value, one product state of an
     * intersection or 256 subset-construction states, so this bounds the work the state count does not see. Far
     * above what the schema corpus needs (its most complex schema takes a few thousand), far below what takes a
     * second on one core.
     */
    static final long DEFAULT_STEPS = 2_000_000L;

    private final int maxStates;
    private final long maxSteps;
    private int states;
    private long steps;

    CompileBudget(int maxStates, long maxSteps) {
        this.maxStates = maxStates;
        this.maxSteps = maxSteps;
    }

    static CompileBudget standard() {
        return new CompileBudget(DEFAULT_STATES, DEFAULT_STEPS);
    }

    /** Counts {@code n} new states; refuses the schema once over budget. */
    void states(int n) {
        states += n;
        if (states > maxStates) {
            throw new SchemaException("the schema is too complex: its grammar needs more than " + maxStates
                    + " automaton states", "", "");
        }
    }

    /** Counts one step of a loop that creates no states. */
    void tick() {
        if (++steps > maxSteps) {
            throw tooSlow();
        }
    }

    long steps() {
        return steps;
    }

    int used() {
        return states;
    }

    private SchemaException tooSlow() {
        return new SchemaException("the schema is too complex: compiling its grammar takes more than " + maxSteps
                + " steps", "", "");
    }
}
