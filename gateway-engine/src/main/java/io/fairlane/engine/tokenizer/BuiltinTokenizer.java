package io.fairlane.engine.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The tokenizer of {@code fairlane-tiny}, the embedded default model: made by code, so that nothing is
 * downloaded and nothing binary is committed. A byte-level BPE in Qwen's shape (NFC, the GPT-4-style split
 * with single digits, byte-level alphabet) whose merges are learned, deterministically, from a short text
 * that ships with the code ({@code builtin-corpus.txt}); ChatML control tokens; a ChatML chat template with
 * tool calls. The files it writes load in the Hugging Face library too (a golden test checks that).
 *
 * <p>Vocabulary layout: ids 0-255 are the 256 bytes in byte order, then the learned merges in the order they
 * were learned, then {@code <|endoftext|>}, {@code <|im_start|>}, {@code <|im_end|>} (special) and
 * {@code <tool_call>}, {@code </tool_call>}, {@code <think>}, {@code </think>} (added, not special), for
 * exactly {@link #VOCAB_SIZE} ids.
 */
public final class BuiltinTokenizer {

    /** The served name of the model this tokenizer belongs to. */
    public static final String MODEL_NAME = "fairlane-tiny";
    public static final int VOCAB_SIZE = 1536;
    public static final String END_OF_TEXT = "<|endoftext|>";
    public static final String IM_START = "<|im_start|>";
    public static final String IM_END = "<|im_end|>";

    /** The split of Qwen 2/3: contractions, letter runs, single digits, punctuation runs, whitespace runs. */
    static final String SPLIT_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    private static final List<String> SPECIAL = List.of(END_OF_TEXT, IM_START, IM_END);
    private static final List<String> ADDED = List.of("<tool_call>", "</tool_call>", "<think>", "</think>");
    static final int MERGES = VOCAB_SIZE - 256 - SPECIAL.size() - ADDED.size();

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private BuiltinTokenizer() {
    }

    private static final class Holder {
        static final String TOKENIZER_JSON = buildTokenizerJson();
        static final Tokenizer TOKENIZER = Tokenizer.fromJson(TOKENIZER_JSON);
    }

    /** The tokenizer itself, built once per JVM. */
    public static Tokenizer tokenizer() {
        return Holder.TOKENIZER;
    }

    /** The text of {@code tokenizer.json}. */
    public static String tokenizerJson() {
        return Holder.TOKENIZER_JSON;
    }

    /** The text of {@code tokenizer_config.json}: special tokens and the ChatML chat template. */
    public static String tokenizerConfigJson() {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("add_bos_token", false);
        config.put("add_prefix_space", false);
        Map<String, Object> decoderEntries = new LinkedHashMap<>();
        int id = 256 + MERGES;
        for (String s : SPECIAL) {
            decoderEntries.put(Integer.toString(id++), addedTokenJson(s, true));
        }
        for (String s : ADDED) {
            decoderEntries.put(Integer.toString(id++), addedTokenJson(s, false));
        }
        config.put("added_tokens_decoder", decoderEntries);
        config.put("additional_special_tokens", List.of(IM_START, IM_END));
        config.put("bos_token", null);
        config.put("chat_template", resource("builtin-chat-template.jinja"));
        config.put("clean_up_tokenization_spaces", false);
        config.put("eos_token", IM_END);
        config.put("model_max_length", 4096);
        config.put("pad_token", END_OF_TEXT);
        config.put("split_special_tokens", false);
        config.put("tokenizer_class", "PreTrainedTokenizerFast");
        config.put("unk_token", null);
        return write(config);
    }

    /** Writes {@code tokenizer.json} and {@code tokenizer_config.json} into {@code dir} (created if missing). */
    public static void writeTo(Path dir) throws IOException {
        Objects.requireNonNull(dir, "dir");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("tokenizer.json"), tokenizerJson(), StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("tokenizer_config.json"), tokenizerConfigJson(), StandardCharsets.UTF_8);
    }

    private static Map<String, Object> addedTokenJson(String content, boolean special) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("content", content);
        t.put("lstrip", false);
        t.put("normalized", false);
        t.put("rstrip", false);
        t.put("single_word", false);
        t.put("special", special);
        return t;
    }

    private static String buildTokenizerJson() {
        Training training = learn(resource("builtin-corpus.txt"), 256 + MERGES);
        List<String> tokens = training.tokens();
        if (tokens.size() != 256 + MERGES) {
            throw new IllegalStateException("the built-in corpus yields " + (tokens.size() - 256)
                    + " merged tokens, " + MERGES + " are needed");
        }
        List<List<String>> mergeJson = new ArrayList<>(training.merges().size());
        for (int[] m : training.merges()) {
            mergeJson.add(List.of(tokens.get(m[0]), tokens.get(m[1])));
        }
        Map<String, Object> vocab = new LinkedHashMap<>();
        for (int i = 0; i < tokens.size(); i++) {
            vocab.put(tokens.get(i), i);
        }
        List<Map<String, Object>> added = new ArrayList<>();
        int id = tokens.size();
        for (String s : SPECIAL) {
            Map<String, Object> t = addedTokenJson(s, true);
            Map<String, Object> withId = new LinkedHashMap<>();
            withId.put("id", id++);
            withId.putAll(t);
            added.add(withId);
        }
        for (String s : ADDED) {
            Map<String, Object> t = addedTokenJson(s, false);
            Map<String, Object> withId = new LinkedHashMap<>();
            withId.put("id", id++);
            withId.putAll(t);
            added.add(withId);
        }
        Map<String, Object> byteLevel = new LinkedHashMap<>();
        byteLevel.put("type", "ByteLevel");
        byteLevel.put("add_prefix_space", false);
        byteLevel.put("trim_offsets", false);
        byteLevel.put("use_regex", false);
        Map<String, Object> split = new LinkedHashMap<>();
        split.put("type", "Split");
        split.put("pattern", Map.of("Regex", SPLIT_REGEX));
        split.put("behavior", "Isolated");
        split.put("invert", false);
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("type", "BPE");
        model.put("dropout", null);
        model.put("unk_token", null);
        model.put("continuing_subword_prefix", null);
        model.put("end_of_word_suffix", null);
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("ignore_merges", false);
        model.put("vocab", vocab);
        model.put("merges", mergeJson);
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("version", "1.0");
        root.put("truncation", null);
        root.put("padding", null);
        root.put("added_tokens", added);
        root.put("normalizer", Map.of("type", "NFC"));
        root.put("pre_tokenizer", Map.of("type", "Sequence", "pretokenizers", List.of(split, byteLevel)));
        root.put("post_processor", byteLevel);
        root.put("decoder", byteLevel);
        root.put("model", model);
        return write(root);
    }

    /** Learned tokens (in the byte-level alphabet, index = id) and merge rules (left id, right id). */
    record Training(List<String> tokens, List<int[]> merges) {
    }

    /**
     * Classic BPE training: count adjacent pairs over the corpus's words (weighted by how often each word
     * occurs), merge the most frequent pair everywhere, repeat until the vocabulary has {@code vocabSize}
     * tokens. Ties go to the smallest (left, right) id pair, so the result is the same on every machine.
     * Words never merge across the split's boundaries. A pair whose concatenation is already a token (reached
     * by another route) becomes a rule for that token and adds no new one.
     */
    static Training learn(String corpus, int vocabSize) {
        Map<String, Integer> wordCounts = new HashMap<>();
        Matcher m = Pattern.compile(SPLIT_REGEX, Pattern.UNICODE_CHARACTER_CLASS)
                .matcher(java.text.Normalizer.normalize(corpus, java.text.Normalizer.Form.NFC));
        while (m.find()) {
            wordCounts.merge(m.group(), 1, Integer::sum);
        }
        List<String> distinct = new ArrayList<>(wordCounts.keySet());
        distinct.sort(null);
        int[][] words = new int[distinct.size()][];
        int[] freq = new int[distinct.size()];
        for (int w = 0; w < distinct.size(); w++) {
            byte[] bytes = distinct.get(w).getBytes(StandardCharsets.UTF_8);
            words[w] = new int[bytes.length];
            for (int i = 0; i < bytes.length; i++) {
                words[w][i] = bytes[i] & 0xFF;
            }
            freq[w] = wordCounts.get(distinct.get(w));
        }
        List<String> tokens = new ArrayList<>(vocabSize);
        Map<String, Integer> ids = new HashMap<>();
        for (int b = 0; b < 256; b++) {
            String t = String.valueOf(ByteLevelAlphabet.charOf(b));
            tokens.add(t);
            ids.put(t, b);
        }
        List<int[]> merges = new ArrayList<>();
        Map<Long, Integer> pairCounts = new HashMap<>();
        while (tokens.size() < vocabSize) {
            pairCounts.clear();
            for (int w = 0; w < words.length; w++) {
                int[] word = words[w];
                for (int i = 0; i + 1 < word.length; i++) {
                    pairCounts.merge(MergeTable.pair(word[i], word[i + 1]), freq[w], Integer::sum);
                }
            }
            long best = -1;
            int bestCount = 0;
            for (Map.Entry<Long, Integer> e : pairCounts.entrySet()) {
                int c = e.getValue();
                if (c > bestCount || (c == bestCount && Long.compareUnsigned(e.getKey(), best) < 0)) {
                    best = e.getKey();
                    bestCount = c;
                }
            }
            if (bestCount == 0) {
                break;  // every word is a single token: nothing left to learn
            }
            int left = (int) (best >>> 32);
            int right = (int) best;
            String joined = tokens.get(left) + tokens.get(right);
            Integer merged = ids.get(joined);
            if (merged == null) {
                merged = tokens.size();
                tokens.add(joined);
                ids.put(joined, merged);
            }
            merges.add(new int[] {left, right});
            for (int w = 0; w < words.length; w++) {
                words[w] = applyMerge(words[w], left, right, merged);
            }
        }
        return new Training(List.copyOf(tokens), List.copyOf(merges));
    }

    private static int[] applyMerge(int[] word, int left, int right, int merged) {
        int out = 0;
        int[] result = null;
        for (int i = 0; i < word.length; i++) {
            if (i + 1 < word.length && word[i] == left && word[i + 1] == right) {
                if (result == null) {
                    result = word.clone();
                    out = i;
                }
                result[out++] = merged;
                i++;
            } else if (result != null) {
                result[out++] = word[i];
            }
        }
        return result == null ? word : java.util.Arrays.copyOf(result, out);
    }

    private static String resource(String name) {
        try (InputStream in = BuiltinTokenizer.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + name + " next to " + BuiltinTokenizer.class);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String write(Object value) {
        try {
            return JSON.writeValueAsString(value) + "\n";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
