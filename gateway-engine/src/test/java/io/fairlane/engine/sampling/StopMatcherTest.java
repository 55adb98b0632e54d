package io.fairlane.engine.sampling;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class StopMatcherTest {

    /** Feeds all pieces and returns the released text. */
    static String feed(StopMatcher m, String... pieces) {
        StringBuilder out = new StringBuilder();
        for (String p : pieces) {
            out.append(m.accept(p));
        }
        return out.toString();
    }

    @Test
    void accept_stopSplitAcrossTokens_isFoundAndNotEmitted() {
        StopMatcher m = new StopMatcher(List.of("END"));
        assertThat(feed(m, "hello E", "N", "D and more")).isEqualTo("hello ");
    }

    @Test
    void accept_stopSplitAcrossTokens_setsStopped() {
        StopMatcher m = new StopMatcher(List.of("END"));
        feed(m, "hello E", "N", "D");
        assertThat(m.stopped()).isTrue();
    }

    @Test
    void accept_possiblePrefix_isHeldBack() {
        StopMatcher m = new StopMatcher(List.of("###"));
        assertThat(m.accept("a ##")).isEqualTo("a ");
    }

    @Test
    void accept_heldPrefixThatDoesNotMatch_isReleasedWithTheNextPiece() {
        StopMatcher m = new StopMatcher(List.of("###"));
        assertThat(feed(m, "a ##", "b")).isEqualTo("a ##b");
    }

    @Test
    void accept_textAfterStop_isNeverReleased() {
        StopMatcher m = new StopMatcher(List.of("\n\n"));
        assertThat(feed(m, "line\n", "\nnext", " more")).isEqualTo("line");
    }

    @Test
    void accept_severalStops_earliestWins() {
        StopMatcher m = new StopMatcher(List.of("world", "lo"));
        assertThat(feed(m, "hello world")).isEqualTo("hel");
        assertThat(m.matched()).isEqualTo("lo");
    }

    @Test
    void flush_afterOtherFinish_releasesHeldText() {
        StopMatcher m = new StopMatcher(List.of("</answer>"));
        String released = m.accept("42 </ans");
        assertThat(released + m.flush()).isEqualTo("42 </ans");
    }

    @Test
    void flush_afterStop_releasesNothing() {
        StopMatcher m = new StopMatcher(List.of("x"));
        m.accept("abxcd");
        assertThat(m.flush()).isEmpty();
    }

    @Test
    void accept_noStops_passesTextThrough() {
        assertThat(feed(new StopMatcher(List.of()), "a", "b")).isEqualTo("ab");
    }

    @Test
    void accept_stopAtVeryStart_releasesNothing() {
        StopMatcher m = new StopMatcher(List.of("<|"));
        assertThat(feed(m, "<", "|im_end|>")).isEmpty();
    }

    @Test
    void accept_emoji_isNotSplitByHolding() {
        StopMatcher m = new StopMatcher(List.of("😀!"));
        String out = feed(m, "ok 😀");
        assertThat(out).isEqualTo("ok ");
        assertThat(out + m.flush()).isEqualTo("ok 😀");
    }
}
