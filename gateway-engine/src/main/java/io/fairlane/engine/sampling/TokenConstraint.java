package io.fairlane.engine.sampling;

import io.fairlane.engine.OutputConstraint;
import io.fairlane.engine.grammar.GrammarMatcher;
import io.fairlane.engine.grammar.Grammars;
import io.fairlane.engine.grammar.VocabularyIndex;
import java.util.Objects;

/**
 * One choice's constrained-decoding state: which tokens may come next so that the output stays a prefix of a
 * sentence of its {@link OutputConstraint}, and, once the sentence is complete, only EOS.
 *
 * <p>Two recognisers sit behind it. JSON mode and tool calls without schemas use the fixed {@link ByteAutomaton}:
 * a token is allowed when every one of its bytes is accepted; greedy choices test candidates best first and
 * usually stop at the first, sampled choices test the whole vocabulary once per step. Constraints with a JSON
 * Schema use a {@link GrammarMatcher}, whose per-step mask comes from masks cached per grammar state (see
 * {@code io.fairlane.engine.grammar}), so a step costs about the same whatever the vocabulary's size.
 *
 * <p>On a thinking model a {@link ReasoningTracker} holds the constraint back until the answer: inside the think
 * block every token but EOS is allowed, then whitespace, and the answer's bytes (from the first one that is not
 * whitespace, even mid-token) must follow the constraint.
 *
 * <p>Mutable; confined to the engine loop thread, except that a backend may call {@link #mask} or
 * {@link #bestAllowed} from a worker thread while the loop waits for the step (never two at once).
 */
public final class TokenConstraint {

    private final ConstraintVocabulary vocabulary;
    private final ByteAutomaton state;
    private final ByteAutomaton trial;
    private final GrammarMatcher grammar;
    private final ReasoningTracker reasoning;
    private long[] bits;
    private boolean broken;

    public TokenConstraint(OutputConstraint constraint, ConstraintVocabulary vocabulary) {
        this(constraint, vocabulary, null);
    }

    /**
     * @param reasoning the choice's think-block tracker (advanced by its owner after {@link #advance}), or null
     * @throws io.fairlane.engine.grammar.SchemaException when a schema in {@code constraint} cannot be enforced
     */
    public TokenConstraint(OutputConstraint constraint, ConstraintVocabulary vocabulary, ReasoningTracker reasoning) {
        this.vocabulary = Objects.requireNonNull(vocabulary, "vocabulary");
        this.reasoning = reasoning;
        if (Grammars.needsGrammar(constraint)) {
            this.grammar = new GrammarMatcher(Grammars.compile(constraint), vocabulary.grammarIndex());
            this.state = null;
            this.trial = null;
        } else {
            ByteAutomaton.Program program = ByteAutomaton.Program.of(constraint);
            this.grammar = null;
            this.state = new ByteAutomaton(program);
            this.trial = new ByteAutomaton(program);
        }
    }

    private boolean answering() {
        return reasoning == null || reasoning.answering();
    }

    private boolean sentenceComplete() {
        return grammar != null ? grammar.complete() : state.complete();
    }

    /** Whether the output so far is a complete sentence (then only EOS is allowed). */
    public boolean complete() {
        return !broken && answering() && sentenceComplete();
    }

    /** Whether {@code tokenId} may come next. */
    public boolean allows(int tokenId) {
        if (broken || tokenId < 0 || tokenId >= vocabulary.size()) {
            return false;
        }
        if (vocabulary.isEos(tokenId)) {
            return answering() && sentenceComplete();
        }
        byte[] b = vocabulary.bytes(tokenId);
        if (b.length == 0) {
            return false;
        }
        int from = 0;
        if (!answering()) {
            from = reasoning.answerStart(b);
            if (from == ReasoningTracker.ALL_REASONING) {
                return true;
            }
            if (from < 0) {
                return false;
            }
        }
        return readable(b, from);
    }

    /** Whether the sentence can go on with {@code b[from..]}; leaves the result in {@link #trial}. */
    private boolean readable(byte[] b, int from) {
        if (grammar != null) {
            return grammar.accepts(b, from);
        }
        trial.copyFrom(state);
        for (int i = from; i < b.length; i++) {
            if (!trial.accept(b[i] & 0xFF)) {
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
        if (broken || vocabulary.isEos(tokenId) && complete()) {
            return;
        }
        if (!allows(tokenId)) {
            broken = true;
            return;
        }
        byte[] b = vocabulary.bytes(tokenId);
        int from = answering() ? 0 : reasoning.answerStart(b);
        if (from < 0) {
            return; // reasoning: the sentence has not started
        }
        if (grammar != null) {
            grammar.advance(b, from);
        } else {
            if (from > 0) {
                readable(b, from);
            }
            state.copyFrom(trial);
        }
    }

    /**
     * Sets the logits of every token not allowed to negative infinity; returns how many remain. {@code logits}
     * may be longer than the vocabulary (padding rows): those are masked too.
     */
    public int mask(float[] logits) {
        if (grammar == null && answering()) {
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
        long[] allowed = allowedBits();
        int n = 0;
        int size = Math.min(logits.length, vocabulary.size());
        for (int w = 0; w < allowed.length; w++) {
            long word = allowed[w];
            int base = w << 6;
            if (word == -1L && base + 64 <= size) {
                n += 64;
                continue;
            }
            int end = Math.min(base + 64, size);
            if (word == 0) {
                java.util.Arrays.fill(logits, base, Math.max(base, end), Float.NEGATIVE_INFINITY);
                continue;
            }
            for (int id = base; id < end; id++) {
                if ((word >>> (id - base) & 1L) == 0) {
                    logits[id] = Float.NEGATIVE_INFINITY;
                } else {
                    n++;
                }
            }
        }
        if (logits.length > size) {
            java.util.Arrays.fill(logits, size, logits.length, Float.NEGATIVE_INFINITY);
        }
        return n;
    }

    /**
     * The tokens allowed next, as a bitset over the vocabulary (shared scratch space: valid until the next call).
     * Only for the grammar recogniser or while the answer has not begun.
     */
    private long[] allowedBits() {
        VocabularyIndex index = vocabulary.grammarIndex();
        if (bits == null) {
            bits = new long[index.words()];
        }
        long[] out = bits;
        if (broken) {
            java.util.Arrays.fill(out, 0L);
            return out;
        }
        if (answering()) {
            grammar.fillAllowed(out);
            if (grammar.complete()) {
                for (int id : vocabulary.eos()) {
                    out[id >>> 6] |= 1L << id;
                }
            }
            return out;
        }
        if (reasoning.thinking()) {
            // Every text token, except those that close the block into an answer the constraint refuses.
            java.util.Arrays.fill(out, 0L);
            for (int id = 0; id < vocabulary.size(); id++) {
                if (vocabulary.bytes(id).length > 0) {
                    out[id >>> 6] |= 1L << id;
                }
            }
            for (int id : vocabulary.closingTagCandidates()) {
                if (!allows(id)) {
                    out[id >>> 6] &= ~(1L << id);
                }
            }
            return out;
        }
        // The first answer token, or whitespace before it: the sentence's own first tokens, plus (after the
        // block) tokens that lead with whitespace, plus (before any block) those that open one.
        if (grammar != null) {
            grammar.fillAllowed(out);
        } else {
            java.util.Arrays.fill(out, 0L);
            for (int id = 0; id < vocabulary.size(); id++) {
                if (allows(id)) {
                    out[id >>> 6] |= 1L << id;
                }
            }
            return out;
        }
        int[] extra = reasoning.mayOpen() ? vocabulary.openingTag() : vocabulary.leadingWhitespace();
        for (int id : extra) {
            if (allows(id)) {
                out[id >>> 6] |= 1L << id;
            }
        }
        return out;
    }

    /**
     * The allowed token of largest logit (lowest id on ties), testing tokens in descending order of logit and
     * stopping at the first allowed: the argmax of the masked row without masking the whole row. {@link #fallback}
     * when nothing is allowed.
     */
    public int bestAllowed(float[] logits) {
        if (grammar != null || !answering()) {
            long[] allowed = allowedBits();
            int best = -1;
            float v = Float.NEGATIVE_INFINITY;
            int size = Math.min(logits.length, vocabulary.size());
            for (int w = 0; w < allowed.length; w++) {
                long word = allowed[w];
                while (word != 0) {
                    int id = (w << 6) + Long.numberOfTrailingZeros(word);
                    word &= word - 1;
                    if (id >= size) {
                        break;
                    }
                    if (best < 0 || logits[id] > v) {
                        best = id;
                        v = logits[id];
                    }
                }
            }
            return best < 0 ? fallback() : best;
        }
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
