package io.fairlane.engine;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/** The input of a request before tokenization. */
public sealed interface Prompt {

    /** Plain text, tokenized as is (legacy completions). */
    record Text(String text) implements Prompt {
        public Text {
            Objects.requireNonNull(text, "text");
        }

        @Override
        public String toString() {
            return "Text[" + text.length() + " chars]";
        }
    }

    /** Token ids given by the client (legacy completions accept arrays of ints). */
    record TokenIds(int[] ids) implements Prompt {
        public TokenIds {
            Objects.requireNonNull(ids, "ids");
        }

        @Override
        public String toString() {
            return "TokenIds[" + ids.length + " tokens]";
        }
    }

    /**
     * A chat to render through the model's chat template.
     *
     * @param messages            OpenAI-shaped messages as plain maps and lists (what a Jinja template sees)
     * @param tools               OpenAI-shaped tool definitions, empty when none
     * @param addGenerationPrompt whether to end with the assistant turn's opening
     * @param templateArguments   extra template variables ({@code chat_template_kwargs})
     */
    record Chat(List<Map<String, Object>> messages, List<Map<String, Object>> tools,
                boolean addGenerationPrompt, Map<String, Object> templateArguments) implements Prompt {
        public Chat {
            messages = List.copyOf(messages);
            tools = List.copyOf(tools);
            templateArguments = Map.copyOf(templateArguments);
        }

        @Override
        public String toString() {
            return "Chat[" + messages.size() + " messages, " + tools.size() + " tools]";
        }
    }
}
