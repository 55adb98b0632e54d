package io.fairlane.gateway.lane.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The thinking a client reads as {@code reasoning_content}: tags out, whatever pieces they arrive in. */
class ThinkingTextTest {

    private static String feed(List<String> pieces) {
        ThinkingText t = new ThinkingText();
        StringBuilder out = new StringBuilder();
        for (String p : pieces) {
            out.append(t.feed(p));
        }
        return out.append(t.finish()).toString();
    }

    @Test
    void feed_wholeTags_areRemoved() {
        assertThat(feed(List.of("<think>", "\nI should add.", "\n</think>", "\n\n"))).isEqualTo("\nI should add.\n");
    }

    @Test
    void feed_tagsSplitOverTokens_areRemovedToo() {
        assertThat(feed(List.of("<thi", "nk>plan", " more</", "thi", "nk>", " \n"))).isEqualTo("plan more");
    }

    @Test
    void feed_aLessThanThatIsNoTag_isKeptOnceItIsClear() {
        ThinkingText t = new ThinkingText();

        assertThat(t.feed("a <")).isEqualTo("a ");
        assertThat(t.feed(" b")).isEqualTo("< b");
    }

    @Test
    void feed_afterTheClosingTag_givesNothing() {
        ThinkingText t = new ThinkingText();
        t.feed("x</think>");

        assertThat(t.feed("\n\n")).isEmpty();
        assertThat(t.finish()).isEmpty();
    }

    @Test
    void finish_heldBackTailThatNeverBecameATag_isThinking() {
        ThinkingText t = new ThinkingText();

        assertThat(t.feed("so </thi")).isEqualTo("so ");
        assertThat(t.finish()).isEqualTo("</thi");
    }
}
