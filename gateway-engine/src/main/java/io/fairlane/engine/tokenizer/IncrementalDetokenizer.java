package io.fairlane.engine.tokenizer;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Turns the token ids of one generated sequence into text as they arrive, for streaming. Text is released
 * as soon as it is final and never ends inside a UTF-8 sequence; the concatenation of everything released
 * (including {@link #flush()}) equals {@link Tokenizer#decode} of all the ids with the same
 * {@code skipSpecialTokens} setting.
 *
 * <p>Three strategies, chosen from the tokenizer's decoder:
 * <ul>
 *   <li>byte-level (Llama 3, Qwen): every token is bytes; bytes are released up to the last complete
 *       character and an open multi-byte sequence (at most 3 bytes) is held;</li>
 *   <li>SentencePiece-style (Llama 2, Gemma: ▁ to space, {@code <0xNN>} byte fallback, fuse, strip one
 *       leading space): text tokens are released at once, byte-fallback runs up to their last complete
 *       character, and leading spaces are stripped once at the start of the sequence as the decoder's
 *       {@code Strip} does. One known difference: the reference turns a whole run of byte tokens into
 *       U+FFFD characters when any byte of it is invalid, but characters of that run released before the
 *       invalid byte arrived cannot be taken back;</li>
 *   <li>any other decoder: the window method (decode the last released token plus the new ones, release
 *       the difference unless it ends in U+FFFD, waiting at most three tokens).</li>
 * </ul>
 *
 * <p>Not thread-safe: confined to the thread that runs the sequence (the engine loop).
 */
public final class IncrementalDetokenizer {

    private enum Strategy { BYTE_LEVEL, PIECES, WINDOW }

    private static final int MAX_HELD_TOKENS = 3;

    private final Tokenizer tokenizer;
    private final boolean skipSpecialTokens;
    private final Strategy strategy;
    private final List<Decoder> replaceSteps;
    private final boolean byteFallback;
    private final char stripChar;
    private int stripRemaining;

    private byte[] pending = new byte[16];
    private int pendingLength;

    private int[] window = new int[8];
    private int windowLength;
    private String windowPrefix = "";
    private int held;

    IncrementalDetokenizer(Tokenizer tokenizer, boolean skipSpecialTokens) {
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
        this.skipSpecialTokens = skipSpecialTokens;
        List<Decoder> steps = TokenPieces.steps(tokenizer.decoder());
        Plan plan = plan(steps);
        this.strategy = plan.strategy;
        this.replaceSteps = plan.replaces;
        this.byteFallback = plan.byteFallback;
        this.stripChar = plan.stripChar;
        this.stripRemaining = plan.stripCount;
    }

    private record Plan(Strategy strategy, List<Decoder> replaces, boolean byteFallback, char stripChar,
                        int stripCount) {
    }

    /** Recognises the decoder chains with a precise streaming form; everything else uses the window. */
    private static Plan plan(List<Decoder> steps) {
        Plan window = new Plan(Strategy.WINDOW, List.of(), false, ' ', 0);
        if (steps.size() == 1 && steps.getFirst() instanceof Decoder.ByteLevel) {
            return new Plan(Strategy.BYTE_LEVEL, List.of(), false, ' ', 0);
        }
        // [Replace...], [ByteFallback], [Fuse], [Strip(start, stop=0) only after Fuse]
        int i = 0;
        int firstNonReplace = 0;
        while (i < steps.size() && steps.get(i) instanceof Decoder.Replace) {
            i++;
        }
        firstNonReplace = i;
        boolean fallback = false;
        if (i < steps.size() && steps.get(i) instanceof Decoder.ByteFallback) {
            fallback = true;
            i++;
        }
        boolean fused = false;
        if (i < steps.size() && steps.get(i) instanceof Decoder.Fuse) {
            fused = true;
            i++;
        }
        char stripChar = ' ';
        int stripCount = 0;
        if (fused && i < steps.size() && steps.get(i) instanceof Decoder.Strip(char content, int start, int stop)
                && stop == 0) {
            stripChar = content;
            stripCount = start;
            i++;
        }
        if (i != steps.size()) {
            return window;
        }
        return new Plan(Strategy.PIECES, List.copyOf(steps.subList(0, firstNonReplace)), fallback, stripChar,
                stripCount);
    }

    /**
     * Accepts the next token and returns the text it releases: possibly empty (a skipped special token, or
     * an incomplete character), possibly more than the token's own text (held text released).
     */
    public String next(int tokenId) {
        if (skipSpecialTokens && tokenizer.isSpecial(tokenId)) {
            return "";
        }
        String token = tokenizer.rawToken(tokenId);
        if (token == null) {
            return "";
        }
        return switch (strategy) {
            case BYTE_LEVEL -> nextByteLevel(token);
            case PIECES -> nextPiece(token);
            case WINDOW -> nextWindow(tokenId);
        };
    }

    /** Releases whatever is still held; call once when the sequence ends. */
    public String flush() {
        return switch (strategy) {
            case BYTE_LEVEL, PIECES -> {
                String rest = invalidRun();
                yield strategy == Strategy.PIECES ? stripLeading(rest) : rest;
            }
            case WINDOW -> {
                if (held == 0) {
                    yield "";
                }
                String text = tokenizer.decode(Arrays.copyOf(window, windowLength), false);
                held = 0;
                yield text.startsWith(windowPrefix) ? text.substring(windowPrefix.length()) : text;
            }
        };
    }

    /** Bytes accepted but not yet released as text (an open UTF-8 sequence), for tests and diagnostics. */
    public int heldBytes() {
        return pendingLength;
    }

    private String nextByteLevel(String token) {
        append(Decoder.ByteLevel.tokenBytes(token));
        return releaseComplete();
    }

    private String nextPiece(String token) {
        String t = token;
        for (Decoder r : replaceSteps) {
            t = ((Decoder.Replace) r).decodeChain(List.of(t)).getFirst();
        }
        if (byteFallback) {
            int b = Decoder.ByteFallback.byteToken(t);
            if (b >= 0) {
                append(new byte[] {(byte) b});
                return stripLeading(releaseComplete());
            }
        }
        String before = invalidRun();  // a run of byte tokens ends here; what is left of it is invalid
        return stripLeading(before + t);
    }

    /** Releases the bytes up to the last complete character, decoding invalid bytes as U+FFFD. */
    private String releaseComplete() {
        int tail = Utf8.incompleteTail(pending, 0, pendingLength);
        int upTo = pendingLength - tail;
        if (upTo == 0) {
            return "";
        }
        String text = Utf8.decodeLossy(pending, 0, upTo);
        System.arraycopy(pending, upTo, pending, 0, tail);
        pendingLength = tail;
        return text;
    }

    /** Ends a byte run early: the held bytes cannot complete any more. */
    private String invalidRun() {
        if (pendingLength == 0) {
            return "";
        }
        String text = strategy == Strategy.BYTE_LEVEL ? Utf8.decodeLossy(pending, 0, pendingLength)
                : "\uFFFD".repeat(pendingLength);
        pendingLength = 0;
        return text;
    }

    private String stripLeading(String text) {
        if (stripRemaining == 0 || text.isEmpty()) {
            return text;
        }
        int i = 0;
        while (i < text.length() && stripRemaining > 0 && text.charAt(i) == stripChar) {
            i++;
            stripRemaining--;
        }
        if (i < text.length()) {
            stripRemaining = 0;  // something else came first: the strip window is over
        }
        return text.substring(i);
    }

    private void append(byte[] bytes) {
        if (pendingLength + bytes.length > pending.length) {
            pending = Arrays.copyOf(pending, Math.max(pending.length * 2, pendingLength + bytes.length));
        }
        System.arraycopy(bytes, 0, pending, pendingLength, bytes.length);
        pendingLength += bytes.length;
    }

    private String nextWindow(int tokenId) {
        if (windowLength == window.length) {
            window = Arrays.copyOf(window, window.length * 2);
        }
        window[windowLength++] = tokenId;
        String text = tokenizer.decode(Arrays.copyOf(window, windowLength), false);
        if (text.endsWith("\uFFFD") && held < MAX_HELD_TOKENS) {
            held++;
            return "";
        }
        String released = text.startsWith(windowPrefix) ? text.substring(windowPrefix.length()) : text;
        window[0] = tokenId;  // keep the last token as context for the next difference
        windowLength = 1;
        windowPrefix = tokenizer.decode(new int[] {tokenId}, false);
        held = 0;
        return released;
    }

    @Override
    public String toString() {
        return "IncrementalDetokenizer[" + strategy + ", held " + pendingLength + " bytes]";
    }
}
