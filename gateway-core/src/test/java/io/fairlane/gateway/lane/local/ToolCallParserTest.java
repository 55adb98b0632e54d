package io.fairlane.gateway.lane.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ToolCallParserTest {

    /** Feeds the text one character at a time, the worst split a tokenizer could produce. */
    private static List<ToolCallParser.Piece> charByChar(String text) {
        ToolCallParser p = new ToolCallParser();
        List<ToolCallParser.Piece> out = new ArrayList<>();
        for (char c : text.toCharArray()) {
            out.addAll(p.feed(String.valueOf(c)));
        }
        out.addAll(p.finish());
        return out;
    }

    private static String text(List<ToolCallParser.Piece> pieces) {
        StringBuilder sb = new StringBuilder();
        pieces.forEach(p -> {
            if (p instanceof ToolCallParser.Text t) {
                sb.append(t.text());
            }
        });
        return sb.toString();
    }

    private static List<ToolCallParser.Call> calls(List<ToolCallParser.Piece> pieces) {
        return pieces.stream().filter(p -> p instanceof ToolCallParser.Call).map(p -> (ToolCallParser.Call) p).toList();
    }

    @Test
    void plainText_passesThroughWhole() {
        assertThat(text(charByChar("Hello <b>world</b> <tool"))).isEqualTo("Hello <b>world</b> <tool");
    }

    @Test
    void oneCall_isParsedWithArgumentsAsJsonString() {
        List<ToolCallParser.Call> c = calls(charByChar("<tool_call>\n{\"name\": \"f\", \"arguments\": {\"a\": 1}}\n</tool_call>"));
        assertThat(c).singleElement().satisfies(call -> {
            assertThat(call.name()).isEqualTo("f");
            assertThat(call.arguments()).isEqualTo("{\"a\":1}");
        });
    }

    @Test
    void twoCalls_getIndexesZeroAndOneAndDistinctIds() {
        List<ToolCallParser.Call> c = calls(charByChar("<tool_call>{\"name\":\"f\",\"arguments\":{}}</tool_call>\n"
                + "<tool_call>{\"name\":\"g\",\"arguments\":{}}</tool_call>"));
        assertThat(c).extracting(ToolCallParser.Call::index).containsExactly(0, 1);
        assertThat(c.get(0).id()).isNotEqualTo(c.get(1).id()).startsWith("call_");
    }

    @Test
    void whitespaceBetweenCalls_isDropped() {
        assertThat(text(charByChar("<tool_call>{\"name\":\"f\"}</tool_call>\n\n"))).isEmpty();
    }

    @Test
    void textBeforeACall_isContentWithoutTheSpaceBeforeTheTag() {
        assertThat(text(charByChar("Let me check. <tool_call>{\"name\":\"f\"}</tool_call>"))).isEqualTo("Let me check.");
    }

    @Test
    void bodyThatIsNotACall_isKeptAsText() {
        String s = "<tool_call>not json</tool_call>";
        assertThat(text(charByChar(s))).isEqualTo(s);
    }

    @Test
    void unterminatedCall_isParsedAtTheEnd() {
        assertThat(calls(charByChar("<tool_call>{\"name\":\"f\",\"arguments\":\"{}\"}"))).hasSize(1);
    }

    @Test
    void partialSuffix_findsTheLongestTagPrefix() {
        assertThat(ToolCallParser.partialSuffix("abc<tool_c", "<tool_call>")).isEqualTo(7);
    }
}
