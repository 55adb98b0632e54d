package io.fairlane.engine.template;

import io.fairlane.engine.Prompt;
import io.fairlane.engine.tokenizer.TokenizerConfig;
import java.time.Clock;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A model's chat template(s), rendered exactly as transformers' {@code apply_chat_template(...,
 * tokenize=False)} renders them: the template is chosen as transformers chooses among named templates
 * ({@code tool_use} when tools are given and it exists, else {@code default}), and it sees {@code messages},
 * {@code tools} ({@code None} when there are none), {@code documents} ({@code None}),
 * {@code add_generation_prompt}, the tokenizer's special tokens ({@code bos_token}, {@code eos_token}, ...)
 * and the request's extra template arguments (OpenAI-compatible servers call them
 * {@code chat_template_kwargs}, e.g. {@code enable_thinking}), which win over the special tokens.
 *
 * <p>Immutable and thread-safe.
 */
public final class ChatTemplate {

    private final Map<String, JinjaTemplate> templates;
    private final Map<String, Object> tokenVariables;
    private final Clock clock;

    private ChatTemplate(Map<String, JinjaTemplate> templates, Map<String, Object> tokenVariables, Clock clock) {
        this.templates = templates;
        this.tokenVariables = tokenVariables;
        this.clock = clock;
    }

    /**
     * Compiles the templates of a tokenizer config.
     *
     * @throws IllegalArgumentException when the config has no chat template
     * @throws TemplateException        when a template does not compile
     */
    public static ChatTemplate of(TokenizerConfig config) {
        return of(config, Clock.systemDefaultZone());
    }

    /** As {@link #of(TokenizerConfig)}, with the clock that {@code strftime_now} reads. */
    public static ChatTemplate of(TokenizerConfig config, Clock clock) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(clock, "clock");
        if (config.chatTemplates().isEmpty()) {
            throw new IllegalArgumentException("the tokenizer config has no chat_template");
        }
        Map<String, JinjaTemplate> compiled = new LinkedHashMap<>();
        config.chatTemplates().forEach((name, source) -> compiled.put(name, JinjaTemplate.compile(source)));
        return new ChatTemplate(Map.copyOf(compiled), Map.copyOf(config.templateVariables()), clock);
    }

    /** Renders a chat prompt. */
    public String render(Prompt.Chat chat) {
        Objects.requireNonNull(chat, "chat");
        return render(chat.messages(), chat.tools(), chat.addGenerationPrompt(), chat.templateArguments());
    }

    /**
     * Renders messages (OpenAI-shaped maps) to the prompt text.
     *
     * @param tools               tool definitions; empty means none (the template sees {@code None})
     * @param extraArguments      extra template variables
     * @throws TemplateException  when the template rejects the conversation or fails
     */
    public String render(List<? extends Map<String, ?>> messages, List<? extends Map<String, ?>> tools,
                         boolean addGenerationPrompt, Map<String, ?> extraArguments) {
        Objects.requireNonNull(messages, "messages");
        Objects.requireNonNull(tools, "tools");
        Objects.requireNonNull(extraArguments, "extraArguments");
        boolean hasTools = !tools.isEmpty();
        JinjaTemplate template = select(hasTools);
        Map<String, Object> vars = new HashMap<>(tokenVariables);
        vars.put("messages", messages);
        vars.put("tools", hasTools ? tools : null);
        vars.put("documents", null);
        vars.put("add_generation_prompt", addGenerationPrompt);
        vars.putAll(extraArguments);
        return template.render(vars, clock);
    }

    private JinjaTemplate select(boolean hasTools) {
        if (templates.size() == 1) {
            return templates.values().iterator().next();
        }
        if (hasTools && templates.containsKey("tool_use")) {
            return templates.get("tool_use");
        }
        JinjaTemplate dflt = templates.get("default");
        if (dflt == null) {
            throw new TemplateException("the model has named chat templates " + templates.keySet()
                    + " but none called 'default'");
        }
        return dflt;
    }

    @Override
    public String toString() {
        return "ChatTemplate" + templates.keySet();
    }
}
