package io.fairlane.engine.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A Hugging Face {@code tokenizer.json} BPE tokenizer, in plain Java: byte-level BPE (Llama 3, Qwen,
 * DeepSeek) and SentencePiece-style BPE with byte fallback (Llama 2, Gemma). Encodes and decodes exactly as
 * the Hugging Face {@code tokenizers} library does; the golden tests hold it to that.
 *
 * <p>Encoding runs the library's pipeline: added tokens are cut out of the raw text first (those marked
 * {@code normalized} are looked for again after normalization), each remaining piece is normalized,
 * pre-tokenized into words, and each word is BPE-encoded; special tokens (a BOS) are added around the result
 * on request.
 *
 * <p>Thread-safe: immutable apart from the BPE word cache, which is concurrent. Load once per model.
 */
public final class Tokenizer {

    /** Field names are not canonicalized: a vocabulary's 100k+ unique keys would only fill the symbol table. */
    private static final ObjectMapper JSON = new ObjectMapper(com.fasterxml.jackson.core.JsonFactory.builder()
            .disable(com.fasterxml.jackson.core.JsonFactory.Feature.CANONICALIZE_FIELD_NAMES).build());

    private final BpeModel model;
    private final List<AddedToken> addedTokens;
    private final Normalizer normalizer;
    private final PreTokenizer preTokenizer;
    private final PostProcessor postProcessor;
    private final Decoder decoder;
    private final AddedTokenMatcher rawMatcher;
    private final AddedTokenMatcher normalizedMatcher;
    private final String[] tokens;
    private final BitSet special = new BitSet();
    private final Map<String, Integer> addedIds;

    Tokenizer(BpeModel model, List<AddedToken> addedTokens, Normalizer normalizer, PreTokenizer preTokenizer,
              PostProcessor postProcessor, Decoder decoder) {
        this.model = model;
        this.addedTokens = List.copyOf(addedTokens);
        this.normalizer = normalizer;
        this.preTokenizer = preTokenizer;
        this.postProcessor = postProcessor;
        this.decoder = decoder;
        int maxId = -1;
        for (int id : model.vocab().values()) {
            maxId = Math.max(maxId, id);
        }
        for (AddedToken t : addedTokens) {
            maxId = Math.max(maxId, t.id());
        }
        tokens = new String[maxId + 1];
        model.vocab().forEach((token, id) -> tokens[id] = token);
        Map<String, Integer> ids = new java.util.HashMap<>();
        List<Map.Entry<String, AddedToken>> raw = new ArrayList<>();
        List<Map.Entry<String, AddedToken>> normalized = new ArrayList<>();
        // special tokens first, then the others, as the reference builds its matchers
        List<AddedToken> ordered = new ArrayList<>(addedTokens.stream().filter(AddedToken::special).toList());
        ordered.addAll(addedTokens.stream().filter(t -> !t.special()).toList());
        for (AddedToken t : ordered) {
            tokens[t.id()] = t.content();
            ids.put(t.content(), t.id());
            if (t.special()) {
                special.set(t.id());
            }
            if (t.normalized()) {
                normalized.add(new AbstractMap.SimpleEntry<>(normalizer.normalize(t.content()), t));
            } else {
                raw.add(new AbstractMap.SimpleEntry<>(t.content(), t));
            }
        }
        this.addedIds = Map.copyOf(ids);
        this.rawMatcher = new AddedTokenMatcher(raw);
        this.normalizedMatcher = new AddedTokenMatcher(normalized);
    }

    /** Loads a {@code tokenizer.json}. */
    public static Tokenizer load(Path tokenizerJson) throws IOException {
        Objects.requireNonNull(tokenizerJson, "tokenizerJson");
        try (com.fasterxml.jackson.core.JsonParser parser = JSON.getFactory().createParser(tokenizerJson.toFile())) {
            return TokenizerJson.parse(parser);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(tokenizerJson + ": " + e.getMessage(), e);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(tokenizerJson + " is not valid JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** Parses the text of a {@code tokenizer.json}. */
    public static Tokenizer fromJson(String json) {
        Objects.requireNonNull(json, "json");
        try (com.fasterxml.jackson.core.JsonParser parser = JSON.getFactory().createParser(json)) {
            return TokenizerJson.parse(parser);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("tokenizer.json: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new IllegalArgumentException("tokenizer.json is not valid JSON: " + e.getMessage(), e);
        }
    }

    /**
     * Encodes text to token ids.
     *
     * @param text             any text; added and special tokens written in it are recognised as such
     * @param addSpecialTokens whether to add the tokens the post-processor puts around a sequence (a BOS)
     */
    public int[] encode(String text, boolean addSpecialTokens) {
        Objects.requireNonNull(text, "text");
        IntList out = new IntList(Math.max(16, text.length() / 3));
        rawMatcher.split(text, new AddedTokenMatcher.Sink() {
            @Override
            public void text(String piece, boolean atStart) {
                String norm = normalizer.normalize(piece);
                normalizedMatcher.split(norm, new AddedTokenMatcher.Sink() {
                    @Override
                    public void text(String inner, boolean innerAtStart) {
                        encodeWords(inner, atStart && innerAtStart, out);
                    }

                    @Override
                    public void token(AddedToken token) {
                        out.add(token.id());
                    }
                });
            }

            @Override
            public void token(AddedToken token) {
                out.add(token.id());
            }
        });
        int[] ids = out.toArray();
        return addSpecialTokens ? postProcessor.apply(ids) : ids;
    }

    private void encodeWords(String normalized, boolean atOrigin, IntList out) {
        if (normalized.isEmpty()) {
            return;
        }
        PreTokenizer.Pieces pieces = new PreTokenizer.Pieces(normalized, atOrigin);
        preTokenizer.apply(pieces);
        for (String word : pieces.items) {
            model.tokenize(word, out);
        }
    }

    /**
     * Decodes token ids to text. Ids outside the vocabulary are ignored, as the reference does.
     *
     * @param skipSpecialTokens drop special tokens (BOS, EOS, chat control tokens) from the text
     */
    public String decode(int[] ids, boolean skipSpecialTokens) {
        Objects.requireNonNull(ids, "ids");
        List<String> pieces = new ArrayList<>(ids.length);
        for (int id : ids) {
            if (id < 0 || id >= tokens.length || tokens[id] == null) {
                continue;
            }
            if (skipSpecialTokens && special.get(id)) {
                continue;
            }
            pieces.add(tokens[id]);
        }
        return decoder.decode(pieces);
    }

    /** The number of ids this tokenizer can produce: one past the largest id of the vocabulary and added tokens. */
    public int vocabSize() {
        return tokens.length;
    }

    /** The id of a token string (an added token's content or a vocabulary entry). */
    public OptionalInt tokenId(String token) {
        Integer id = addedIds.get(token);
        if (id == null) {
            id = model.vocab().get(token);
        }
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** The token string of an id as the vocabulary spells it (byte-level tokens in their alphabet). */
    public Optional<String> token(int id) {
        return id >= 0 && id < tokens.length ? Optional.ofNullable(tokens[id]) : Optional.empty();
    }

    public boolean isSpecial(int id) {
        return id >= 0 && special.get(id);
    }

    public List<AddedToken> addedTokens() {
        return addedTokens;
    }

    /**
     * The bytes one token contributes to decoded text, for logprobs ({@code bytes}) and streaming: byte-level
     * tokens give their bytes, {@code <0xNN>} byte-fallback tokens their one byte, others their text with ▁
     * shown as a space. Empty for ids outside the vocabulary.
     */
    public byte[] tokenBytes(int id) {
        String t = id >= 0 && id < tokens.length ? tokens[id] : null;
        if (t == null) {
            return new byte[0];
        }
        return TokenPieces.bytesOf(decoder, t);
    }

    /** {@link #tokenBytes} as text, with U+FFFD where the bytes are not complete UTF-8 on their own. */
    public String tokenText(int id) {
        return Utf8.decodeLossy(tokenBytes(id));
    }

    /** A streaming detokenizer for one sequence. */
    public IncrementalDetokenizer detokenizer(boolean skipSpecialTokens) {
        return new IncrementalDetokenizer(this, skipSpecialTokens);
    }

    Decoder decoder() {
        return decoder;
    }

    String rawToken(int id) {
        return id >= 0 && id < tokens.length ? tokens[id] : null;
    }

    int mergeCount() {
        return model.mergeCount();
    }

    @Override
    public String toString() {
        return "Tokenizer[vocab=" + tokens.length + ", merges=" + model.mergeCount() + ", added="
                + addedTokens.size() + "]";
    }
}
