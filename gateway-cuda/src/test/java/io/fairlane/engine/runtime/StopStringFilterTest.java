package io.fairlane.engine.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class StopStringFilterTest {

    @Test
    void accept_noStops_releasesEverything() {
        assertThat(new StopStringFilter(List.of()).accept("hello").text()).isEqualTo("hello");
    }

    @Test
    void accept_possibleStopPrefix_holdsItBack() {
        assertThat(new StopStringFilter(List.of("END")).accept("the E").text()).isEqualTo("the ");
    }

    @Test
    void accept_stopAcrossPieces_releasesTextBeforeIt() {
        StopStringFilter f = new StopStringFilter(List.of("END"));
        f.accept("the E");
        f.accept("N");
        assertThat(f.accept("Dgame")).isEqualTo(new StopStringFilter.Release("", true));
    }

    @Test
    void accept_prefixThatDidNotContinue_releasesHeldText() {
        StopStringFilter f = new StopStringFilter(List.of("END"));
        f.accept("the E");
        assertThat(f.accept("xit").text()).isEqualTo("Exit");
    }

    @Test
    void accept_twoStops_earliestWins() {
        assertThat(new StopStringFilter(List.of("b", "a")).accept("xxaxb").text()).isEqualTo("xx");
    }

    @Test
    void flush_afterHolding_returnsHeldText() {
        StopStringFilter f = new StopStringFilter(List.of("END"));
        f.accept("zEN");
        assertThat(f.flush()).isEqualTo("EN");
    }

    @Test
    void toString_printsCountsNotText() {
        StopStringFilter f = new StopStringFilter(List.of("SECRET"));
        f.accept("xSEC");
        assertThat(f.toString()).doesNotContain("SEC");
    }
}
