package io.fairlane.engine.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Reads the sections of a Hugging Face {@code tokenizer.json} into this package's model. Anything the
 * package does not implement is refused with an exception that names the section and the type, never
 * silently approximated: a tokenizer that is almost right corrupts every prompt.
 */
final class TokenizerJson {

    private TokenizerJson() {
    }

    /**
     * Streams a {@code tokenizer.json}: the model's vocabulary and merges (hundreds of thousands of entries)
     * go straight into their tables instead of through a JSON tree, which makes loading several times faster;
     * the small sections are read as trees.
     */
    static Tokenizer parse(com.fasterxml.jackson.core.JsonParser in) throws java.io.IOException {
        com.fasterxml.jackson.databind.ObjectMapper mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        com.fasterxml.jackson.databind.node.ObjectNode root = mapper.createObjectNode();
        Map<String, Integer> vocab = null;
        List<String[]> merges = null;
        com.fasterxml.jackson.databind.node.ObjectNode model = mapper.createObjectNode();
        expectToken(in.nextToken(), com.fasterxml.jackson.core.JsonToken.START_OBJECT);
        while (in.nextToken() == com.fasterxml.jackson.core.JsonToken.FIELD_NAME) {
            String field = in.currentName();
            in.nextToken();
            if (!field.equals("model")) {
                root.set(field, in.readValueAsTree());
                continue;
            }
            expectToken(in.currentToken(), com.fasterxml.jackson.core.JsonToken.START_OBJECT);
            while (in.nextToken() == com.fasterxml.jackson.core.JsonToken.FIELD_NAME) {
                String key = in.currentName();
                in.nextToken();
                switch (key) {
                    case "vocab" -> {
                        vocab = new HashMap<>(1 << 16);
                        expectToken(in.currentToken(), com.fasterxml.jackson.core.JsonToken.START_OBJECT);
                        while (in.nextToken() == com.fasterxml.jackson.core.JsonToken.FIELD_NAME) {
                            String token = in.currentName();
                            in.nextToken();
                            vocab.put(token, in.getIntValue());
                        }
                    }
                    case "merges" -> {
                        merges = new java.util.ArrayList<>(1 << 16);
                        expectToken(in.currentToken(), com.fasterxml.jackson.core.JsonToken.START_ARRAY);
                        while (in.nextToken() != com.fasterxml.jackson.core.JsonToken.END_ARRAY) {
                            if (in.currentToken() == com.fasterxml.jackson.core.JsonToken.START_ARRAY) {
                                in.nextToken();
                                String a = in.getText();
                                in.nextToken();
                                String b = in.getText();
                                expectToken(in.nextToken(), com.fasterxml.jackson.core.JsonToken.END_ARRAY);
                                merges.add(new String[] {a, b});
                            } else {
                                merges.add(splitMerge(in.getText(), merges.size()));
                            }
                        }
                    }
                    default -> model.set(key, in.readValueAsTree());
                }
            }
        }
        if (vocab == null) {
            throw new IllegalArgumentException("tokenizer.json: missing 'model.vocab'");
        }
        root.set("model", model);
        return build(root, vocab, merges == null ? List.of() : merges);
    }

    private static void expectToken(com.fasterxml.jackson.core.JsonToken actual,
                                    com.fasterxml.jackson.core.JsonToken expected) {
        if (actual != expected) {
            throw new IllegalArgumentException("tokenizer.json: expected " + expected + ", found " + actual);
        }
    }

    private static String[] splitMerge(String line, int rank) {
        int space = line.indexOf(' ');
        if (space < 0 || line.indexOf(' ', space + 1) >= 0) {
            throw new IllegalArgumentException("tokenizer.json: merge " + rank + " is not two tokens: '" + line + "'");
        }
        return new String[] {line.substring(0, space), line.substring(space + 1)};
    }

    private static Tokenizer build(JsonNode root, Map<String, Integer> vocab, List<String[]> mergeList) {
        JsonNode model = require(root, "model");
        String type = model.path("type").asText("BPE");
        if (!type.equals("BPE")) {
            throw unsupported("model", type);
        }
        String prefix = textOrNull(model, "continuing_subword_prefix");
        String suffix = textOrNull(model, "end_of_word_suffix");
        if (!model.path("dropout").isNull() && !model.path("dropout").isMissingNode()
                && model.path("dropout").asDouble() != 0.0) {
            throw new IllegalArgumentException("tokenizer.json: BPE dropout is a training feature and not supported");
        }
        MergeTable merges = new MergeTable(Math.max(1, mergeList.size()));
        int prefixLen = prefix == null ? 0 : prefix.length();
        int rank = 0;
        for (String[] m : mergeList) {
            String a = m[0];
            String b = m[1];
            Integer left = vocab.get(a);
            Integer right = vocab.get(b);
            String mergedToken = a + (prefixLen > 0 && b.startsWith(prefix) ? b.substring(prefixLen) : b);
            Integer merged = vocab.get(mergedToken);
            if (left == null || right == null || merged == null) {
                throw new IllegalArgumentException("tokenizer.json: merge " + rank + " ('" + a + "', '" + b
                        + "') uses a token that is not in the vocabulary");
            }
            merges.put(left, right, rank, merged);
            rank++;
        }
        BpeModel bpe = new BpeModel(vocab, merges, textOrNull(model, "unk_token"),
                model.path("fuse_unk").asBoolean(false), model.path("byte_fallback").asBoolean(false),
                model.path("ignore_merges").asBoolean(false), prefix, suffix);

        List<AddedToken> added = new ArrayList<>();
        for (JsonNode t : root.path("added_tokens")) {
            added.add(new AddedToken(t.path("id").asInt(), t.path("content").asText(),
                    t.path("special").asBoolean(false), t.path("single_word").asBoolean(false),
                    t.path("lstrip").asBoolean(false), t.path("rstrip").asBoolean(false),
                    t.path("normalized").asBoolean(!t.path("special").asBoolean(false))));
        }
        Normalizer normalizer = normalizer(root.path("normalizer"));
        PreTokenizer preTokenizer = preTokenizer(root.path("pre_tokenizer"));
        PostProcessor post = postProcessor(root.path("post_processor"));
        Decoder decoder = decoder(root.path("decoder"));
        return new Tokenizer(bpe, added, normalizer, preTokenizer, post, decoder);
    }

    static Normalizer normalizer(JsonNode n) {
        if (n.isMissingNode() || n.isNull()) {
            return new Normalizer.Identity();
        }
        String type = n.path("type").asText();
        return switch (type) {
            case "Sequence" -> {
                List<Normalizer> steps = new ArrayList<>();
                for (JsonNode s : n.path("normalizers")) {
                    steps.add(normalizer(s));
                }
                yield new Normalizer.Sequence(steps);
            }
            case "NFC" -> new Normalizer.Unicode(java.text.Normalizer.Form.NFC);
            case "NFD" -> new Normalizer.Unicode(java.text.Normalizer.Form.NFD);
            case "NFKC" -> new Normalizer.Unicode(java.text.Normalizer.Form.NFKC);
            case "NFKD" -> new Normalizer.Unicode(java.text.Normalizer.Form.NFKD);
            case "Lowercase" -> new Normalizer.Lowercase();
            case "Replace" -> new Normalizer.Replace(pattern(n.path("pattern"), "normalizer Replace"),
                    n.path("content").asText());
            case "Prepend" -> new Normalizer.Prepend(n.path("prepend").asText());
            case "Strip" -> new Normalizer.Strip(n.path("strip_left").asBoolean(true),
                    n.path("strip_right").asBoolean(true));
            default -> throw unsupported("normalizer", type);
        };
    }

    static PreTokenizer preTokenizer(JsonNode n) {
        if (n.isMissingNode() || n.isNull()) {
            return new PreTokenizer.None();
        }
        String type = n.path("type").asText();
        return switch (type) {
            case "Sequence" -> {
                List<PreTokenizer> steps = new ArrayList<>();
                for (JsonNode s : n.path("pretokenizers")) {
                    steps.add(preTokenizer(s));
                }
                yield new PreTokenizer.Sequence(steps);
            }
            case "Split" -> new PreTokenizer.Split(pattern(n.path("pattern"), "pre_tokenizer Split"),
                    PreTokenizer.Behavior.fromJson(n.path("behavior").asText("Isolated")),
                    n.path("invert").asBoolean(false));
            case "ByteLevel" -> new PreTokenizer.ByteLevel(n.path("add_prefix_space").asBoolean(true),
                    n.path("use_regex").asBoolean(true));
            case "Metaspace" -> new PreTokenizer.Metaspace(n.path("replacement").asText("\u2581").charAt(0),
                    prependScheme(n), n.path("split").asBoolean(true));
            case "Whitespace" -> new PreTokenizer.Whitespace();
            case "WhitespaceSplit" -> new PreTokenizer.WhitespaceSplit();
            case "Digits" -> new PreTokenizer.Digits(n.path("individual_digits").asBoolean(false));
            case "Punctuation" -> new PreTokenizer.Punctuation(
                    PreTokenizer.Behavior.fromJson(n.path("behavior").asText("Isolated")));
            default -> throw unsupported("pre_tokenizer", type);
        };
    }

    private static PreTokenizer.PrependScheme prependScheme(JsonNode n) {
        if (n.has("prepend_scheme")) {
            return switch (n.path("prepend_scheme").asText()) {
                case "always" -> PreTokenizer.PrependScheme.ALWAYS;
                case "first" -> PreTokenizer.PrependScheme.FIRST;
                case "never" -> PreTokenizer.PrependScheme.NEVER;
                default -> throw unsupported("Metaspace prepend_scheme", n.path("prepend_scheme").asText());
            };
        }
        return n.path("add_prefix_space").asBoolean(true) ? PreTokenizer.PrependScheme.ALWAYS
                : PreTokenizer.PrependScheme.NEVER;
    }

    static PostProcessor postProcessor(JsonNode n) {
        if (n.isMissingNode() || n.isNull()) {
            return PostProcessor.none();
        }
        String type = n.path("type").asText();
        return switch (type) {
            case "ByteLevel" -> PostProcessor.none();
            case "TemplateProcessing" -> {
                IntList before = new IntList(2);
                IntList after = new IntList(2);
                boolean seenSequence = false;
                for (JsonNode item : n.path("single")) {
                    if (item.has("Sequence")) {
                        seenSequence = true;
                        continue;
                    }
                    String id = item.path("SpecialToken").path("id").asText();
                    JsonNode special = n.path("special_tokens").path(id);
                    if (special.isMissingNode()) {
                        throw new IllegalArgumentException("tokenizer.json: post_processor names special token '"
                                + id + "' but does not define it");
                    }
                    for (JsonNode tokenId : special.path("ids")) {
                        (seenSequence ? after : before).add(tokenId.asInt());
                    }
                }
                yield new PostProcessor.Surround(before.toArray(), after.toArray());
            }
            case "RobertaProcessing", "BertProcessing" -> new PostProcessor.Surround(
                    new int[] {n.path("cls").get(1).asInt()}, new int[] {n.path("sep").get(1).asInt()});
            case "Sequence" -> {
                List<PostProcessor> steps = new ArrayList<>();
                for (JsonNode s : n.path("processors")) {
                    steps.add(postProcessor(s));
                }
                yield new PostProcessor.Sequence(steps);
            }
            default -> throw unsupported("post_processor", type);
        };
    }

    static Decoder decoder(JsonNode n) {
        if (n.isMissingNode() || n.isNull()) {
            return new Decoder.None();
        }
        String type = n.path("type").asText();
        return switch (type) {
            case "Sequence" -> {
                List<Decoder> steps = new ArrayList<>();
                for (JsonNode s : n.path("decoders")) {
                    steps.add(decoder(s));
                }
                yield new Decoder.Sequence(steps);
            }
            case "ByteLevel" -> new Decoder.ByteLevel();
            case "Replace" -> {
                JsonNode p = n.path("pattern");
                if (!p.has("String")) {
                    throw unsupported("decoder Replace pattern", p.fieldNames().hasNext() ? p.fieldNames().next() : "?");
                }
                yield new Decoder.Replace(p.path("String").asText(), n.path("content").asText());
            }
            case "ByteFallback" -> new Decoder.ByteFallback();
            case "Fuse" -> new Decoder.Fuse();
            case "Strip" -> new Decoder.Strip(n.path("content").asText(" ").charAt(0), n.path("start").asInt(0),
                    n.path("stop").asInt(0));
            case "Metaspace" -> new Decoder.Metaspace(n.path("replacement").asText("\u2581").charAt(0),
                    prependScheme(n) != PreTokenizer.PrependScheme.NEVER);
            case "BPEDecoder" -> new Decoder.BpeSuffix(n.path("suffix").asText("</w>"));
            default -> throw unsupported("decoder", type);
        };
    }

    /**
     * A {@code {"String": ...}} or {@code {"Regex": ...}} pattern. Regexes are written for Oniguruma; Java's
     * engine reads the constructs real tokenizers use ({@code \p{L}}, {@code (?i:...)}, lookahead) the same
     * way once {@code \s} and friends are Unicode-aware, which {@code UNICODE_CHARACTER_CLASS} makes them.
     */
    static Pattern pattern(JsonNode p, String where) {
        if (p.has("String")) {
            return Pattern.compile(p.path("String").asText(), Pattern.LITERAL);
        }
        if (p.has("Regex")) {
            String regex = p.path("Regex").asText();
            try {
                return Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS);
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("tokenizer.json: " + where + " regex does not compile in Java: "
                        + e.getMessage(), e);
            }
        }
        throw new IllegalArgumentException("tokenizer.json: " + where + " pattern is neither String nor Regex");
    }

    private static JsonNode require(JsonNode node, String field) {
        JsonNode v = node.path(field);
        if (v.isMissingNode() || v.isNull()) {
            throw new IllegalArgumentException("tokenizer.json: missing '" + field + "'");
        }
        return v;
    }

    private static String textOrNull(JsonNode node, String field) {
        JsonNode v = node.path(field);
        return v.isMissingNode() || v.isNull() ? null : v.asText();
    }

    private static IllegalArgumentException unsupported(String section, String type) {
        return new IllegalArgumentException("tokenizer.json: " + section + " type '" + type + "' is not supported");
    }
}
