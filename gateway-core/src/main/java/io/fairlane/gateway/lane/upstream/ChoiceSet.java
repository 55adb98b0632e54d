package io.fairlane.gateway.lane.upstream;

import java.util.HashSet;
import java.util.Set;

/**
 * A set of choice indexes as a stream's records keep them: the indexes 0 to 63 (all that streams use in
 * practice) as bits, allocating nothing; any other index in a set made when the first one comes.
 */
final class ChoiceSet {

    private long bits;
    private Set<Integer> others;

    void add(int index) {
        if (index >= 0 && index < 64) {
            bits |= 1L << index;
        } else {
            if (others == null) {
                others = new HashSet<>();
            }
            others.add(index);
        }
    }

    boolean contains(int index) {
        return index >= 0 && index < 64 ? (bits & 1L << index) != 0 : others != null && others.contains(index);
    }

    boolean isEmpty() {
        return bits == 0 && (others == null || others.isEmpty());
    }

    /** Whether every index of {@code other} is in this set. */
    boolean containsAll(ChoiceSet other) {
        if ((other.bits & ~bits) != 0) {
            return false;
        }
        return other.others == null || other.others.isEmpty() || others != null && others.containsAll(other.others);
    }
}
