package io.fairlane.engine.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What a model's {@code tokenizer_config.json} says beyond the tokenizer itself: the special tokens (as the
 * strings chat templates see as {@code bos_token}, {@code eos_token}, ...) and the chat templates.
 *
 * @param specialTokens           {@code bos_token}, {@code eos_token}, {@code unk_token}, {@code sep_token},
 *                                {@code pad_token}, {@code cls_token}, {@code mask_token} that are set, by key
 * @param additionalSpecialTokens {@code additional_special_tokens}
 * @param chatTemplates           template source by name; a single-string {@code chat_template} is named
 *                                {@code default}. Empty when the model has no template
 * @param addBosToken             {@code add_bos_token}, when present
 * @param modelMaxLength          {@code model_max_length}, when present and plausible
 */
public record TokenizerConfig(Map<String, String> specialTokens, List<String> additionalSpecialTokens,
                              Map<String, String> chatTemplates, Optional<Boolean> addBosToken,
                              Optional<Long> modelMaxLength) {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> SPECIAL_KEYS = List.of("bos_token", "eos_token", "unk_token", "sep_token",
            "pad_token", "cls_token", "mask_token");

    public TokenizerConfig {
        specialTokens = Map.copyOf(specialTokens);
        additionalSpecialTokens = List.copyOf(additionalSpecialTokens);
        chatTemplates = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(chatTemplates));
        Objects.requireNonNull(addBosToken, "addBosToken");
        Objects.requireNonNull(modelMaxLength, "modelMaxLength");
    }

    /**
     * Reads a model directory's {@code tokenizer_config.json}; a {@code chat_template.jinja} beside it (the
     * newer way transformers saves templates) replaces the default template.
     */
    public static TokenizerConfig load(Path modelDir) throws IOException {
        Objects.requireNonNull(modelDir, "modelDir");
        Path file = modelDir.resolve("tokenizer_config.json");
        TokenizerConfig config = Files.isRegularFile(file) ? parse(Files.readString(file))
                : new TokenizerConfig(Map.of(), List.of(), Map.of(), Optional.empty(), Optional.empty());
        Path jinja = modelDir.resolve("chat_template.jinja");
        if (Files.isRegularFile(jinja)) {
            Map<String, String> templates = new LinkedHashMap<>(config.chatTemplates());
            templates.put("default", Files.readString(jinja));
            config = new TokenizerConfig(config.specialTokens(), config.additionalSpecialTokens(), templates,
                    config.addBosToken(), config.modelMaxLength());
        }
        return config;
    }

    /** Parses the text of a {@code tokenizer_config.json}. */
    public static TokenizerConfig parse(String json) {
        Objects.requireNonNull(json, "json");
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("tokenizer_config.json is not valid JSON: " + e.getMessage(), e);
        }
        Map<String, String> special = new LinkedHashMap<>();
        for (String key : SPECIAL_KEYS) {
            String value = tokenText(root.path(key));
            if (value != null) {
                special.put(key, value);
            }
        }
        List<String> additional = new ArrayList<>();
        for (JsonNode t : root.path("additional_special_tokens")) {
            String value = tokenText(t);
            if (value != null) {
                additional.add(value);
            }
        }
        Map<String, String> templates = new LinkedHashMap<>();
        JsonNode template = root.path("chat_template");
        if (template.isTextual()) {
            templates.put("default", template.asText());
        } else if (template.isArray()) {
            for (JsonNode named : template) {
                templates.put(named.path("name").asText(), named.path("template").asText());
            }
        }
        Optional<Boolean> addBos = root.path("add_bos_token").isBoolean()
                ? Optional.of(root.path("add_bos_token").asBoolean()) : Optional.empty();
        JsonNode max = root.path("model_max_length");
        Optional<Long> maxLength = max.isIntegralNumber() && max.canConvertToLong() && max.asLong() < (1L << 40)
                ? Optional.of(max.asLong()) : Optional.empty();
        return new TokenizerConfig(special, additional, templates, addBos, maxLength);
    }

    /** A token given as a string or as a serialized AddedToken ({@code {"content": ...}}). */
    private static String tokenText(JsonNode node) {
        if (node.isTextual()) {
            return node.asText();
        }
        if (node.isObject() && node.path("content").isTextual()) {
            return node.path("content").asText();
        }
        return null;
    }

    public Optional<String> eosToken() {
        return Optional.ofNullable(specialTokens.get("eos_token"));
    }

    public Optional<String> bosToken() {
        return Optional.ofNullable(specialTokens.get("bos_token"));
    }

    /** The variables transformers passes to a chat template from the tokenizer ({@code special_tokens_map}). */
    public Map<String, Object> templateVariables() {
        Map<String, Object> vars = new LinkedHashMap<>(specialTokens);
        if (!additionalSpecialTokens.isEmpty()) {
            vars.put("additional_special_tokens", additionalSpecialTokens);
        }
        return vars;
    }

    @Override
    public String toString() {
        return "TokenizerConfig[special=" + specialTokens.keySet() + ", templates=" + chatTemplates.keySet() + "]";
    }
}
