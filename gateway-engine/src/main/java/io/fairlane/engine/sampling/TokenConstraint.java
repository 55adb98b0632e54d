package io.fairlane.engine.sampling;

import io.fairlane.engine.OutputConstraint;
import java.util.Objects;

/**
 * One choice's constrained-decoding state: which tokens may come next so that the output stays a prefix of a
 * sentence of its {@link OutputConstraint}, and, once the sentence is complete, only EOS. A token is allowed when
 * every one of its bytes is accepted by the {@link ByteAutomaton}; EOS ids when the text is complete.
 *
 * <p>Greedy choices test candidates best first and usually stop at the first; sampled choices test the whole
 * vocabulary once per step (a mask), which costs a few bytes of automaton per token.
 *
 * <p>Mutable; confined to the engine loop thread, except that a backend may call {@link #mask} or
 * {@link #bestAllowed} from a worker thread while the loop waits for the step (never two at once).
 */
public final class TokenConstraint {

    private final ConstraintVocabulary vocabulary;
    private final ByteAutomaton state;
    private final ByteAutomaton trial;
    private boolean broken;

    public TokenConstraint(OutputConstraint constraint, ConstraintVocabulary vocabulary) {
        this.vocabulary = Objects.requireNonNull(vocabulary, "vocabulary");
        ByteAutomaton.Program program = ByteAutomaton.Program.of(constraint);
        this.state = new ByteAutomaton(program);
        this.trial = new ByteAutomaton(program);
    }

    /** Whether the output so far is a complete sentence (then only EOS is allowed). */
    public boolean complete() {
        return !broken && state.complete();
    }

    /** Whether {@code tokenId} may come next. */
    public boolean allows(int tokenId) {
        if (broken || tokenId < 0 || tokenId >= vocabulary.size()) {
            return false;
        }
        if (vocabulary.isEos(tokenId)) {
            return state.complete();
        }
        byte[] b = vocabulary.bytes(tokenId);
        if (b.length == 0) {
            return false;
        }
        trial.copyFrom(state);
        for (byte x : b) {
            if (!trial.accept(x & 0xFF)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Records the emitted token. A token the constraint did not allow (only the fallback of {@link #fallback})
     * leaves it broken: nothing more is allowed.
     */
    public void advance(int tokenId) {
        if (broken || vocabulary.isEos(tokenId) && state.complete()) {
            return;
        }
        if (!allows(tokenId)) {
            broken = true;
            return;
        }
        state.copyFrom(trial);
    }

    /**
     * Sets the logits of every token not allowed to negative infinity; returns how many remain. {@code logits}
     * may be longer than the vocabulary (padding rows): those are masked too.
     */
    public int mask(float[] logits) {
        int allowed = 0;
        for (int id = 0; id < logits.length; id++) {
            if (allows(id)) {
                allowed++;
            } else {
                logits[id] = Float.NEGATIVE_INFINITY;
            }
        }
        return allowed;
    }

    /**
     * The allowed token of largest logit (lowest id on ties), testing tokens in descending order of logit and
     * stopping at the first allowed: the argmax of the masked row without masking the whole row. {@link #fallback}
     * when nothing is allowed.
     */
    public int bestAllowed(float[] logits) {
        int best = Sampler.argmax(logits);
        if (allows(best)) {
            return best;
        }
        int n = logits.length;
        int[] heap = new int[n];
        for (int i = 0; i < n; i++) {
            heap[i] = i;
        }
        for (int i = n / 2 - 1; i >= 0; i--) {
            siftDown(heap, i, n, logits);
        }
        int size = n;
        while (size > 0) {
            int top = heap[0];
            heap[0] = heap[--size];
            siftDown(heap, 0, size, logits);
            if (top != best && allows(top)) {
                return top;
            }
        }
        return fallback();
    }

    /**
     * What to emit when no token is allowed, which happens only with a vocabulary that lacks a byte the
     * constraint needs next: the first EOS id, ending the output as it stands.
     */
    public int fallback() {
        int[] eos = vocabulary.eos();
        return eos.length > 0 ? eos[0] : 0;
    }

    /** Whether token a ranks before token b: larger logit, then lower id. */
    private static boolean before(int a, int b, float[] x) {
        return x[a] > x[b] || (x[a] == x[b] && a < b) || (Float.isNaN(x[b]) && !Float.isNaN(x[a]));
    }

    private static void siftDown(int[] heap, int i, int size, float[] x) {
        while (true) {
            int l = 2 * i + 1;
            if (l >= size) {
                return;
            }
            int c = l + 1 < size && before(heap[l + 1], heap[l], x) ? l + 1 : l;
            if (!before(heap[c], heap[i], x)) {
                return;
            }
            int t = heap[c];
            heap[c] = heap[i];
            heap[i] = t;
            i = c;
        }
    }

    @Override
    public String toString() {
        return "TokenConstraint[" + state + (broken ? ", broken" : "") + "]";
    }
}
