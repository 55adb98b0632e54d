package io.fairlane.engine.template;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Behaviour of the interpreter's API; what it renders is held to jinja2 by {@link ChatTemplateGoldenTest}. */
class JinjaTemplateTest {

    private static String render(String source, Map<String, ?> vars) {
        return JinjaTemplate.compile(source).render(vars, ChatTemplateGoldens.FIXED_CLOCK);
    }

    @Test
    void compile_unknownTag_namesTheTag() {
        assertThatThrownBy(() -> JinjaTemplate.compile("{% include 'x' %}"))
                .isInstanceOf(TemplateException.class).hasMessageContaining("unknown tag 'include'");
    }

    @Test
    void compile_unclosedBlock_isASyntaxError() {
        assertThatThrownBy(() -> JinjaTemplate.compile("{% if x %}never closed"))
                .isInstanceOf(TemplateException.class).hasMessageContaining("syntax error");
    }

    @Test
    void compile_unclosedComment_isASyntaxError() {
        assertThatThrownBy(() -> JinjaTemplate.compile("text {# no end"))
                .isInstanceOf(TemplateException.class).hasMessageContaining("comment");
    }

    @Test
    void render_raiseException_isMarkedAsRaisedByTheTemplate() {
        TemplateException e = catchThrowableOfType(TemplateException.class,
                () -> render("{{ raise_exception('roles must alternate') }}", Map.of()));
        assertThat(e.raisedByTemplate()).isTrue();
    }

    @Test
    void render_raiseException_keepsTheMessageExactly() {
        assertThatThrownBy(() -> render("{{ raise_exception('roles must alternate') }}", Map.of()))
                .hasMessage("roles must alternate");
    }

    @Test
    void render_undefinedAttributeOfUndefined_failsNotRaisedByTemplate() {
        TemplateException e = catchThrowableOfType(TemplateException.class, () -> render("{{ a.b.c }}", Map.of()));
        assertThat(e.raisedByTemplate()).isFalse();
    }

    @Test
    void render_javaNumbers_behaveAsPythonNumbers() {
        assertThat(render("{{ a + b }} {{ c * 2 }} {{ d }}", Map.of("a", 1, "b", 2L, "c", 1.5f,
                "d", new BigDecimal("0.25")))).isEqualTo("3 3.0 0.25");
    }

    @Test
    void render_nullValue_printsNone() {
        assertThat(render("{{ x }}", java.util.Collections.singletonMap("x", null))).isEqualTo("None");
    }

    @Test
    void render_generationBlock_rendersItsBody() {
        assertThat(render("a{% generation %}b{% endgeneration %}c", Map.of())).isEqualTo("abc");
    }

    @Test
    void render_jacksonTree_isConvertedToPlainValues() throws Exception {
        var tree = new com.fasterxml.jackson.databind.ObjectMapper().readTree("{\"k\": [1, 2.5, \"s\", null]}");
        assertThat(render("{{ t.k }}", Map.of("t", tree))).isEqualTo("[1, 2.5, 's', None]");
    }

    @Test
    void render_mutatingMethod_isRefusedBySandbox() {
        assertThatThrownBy(() -> render("{{ xs.append(1) }}", Map.of("xs", List.of())))
                .hasMessageContaining("unsafe");
    }

    @Test
    void render_hugeRange_isRefused() {
        assertThatThrownBy(() -> render("{% for i in range(1000000) %}{% endfor %}", Map.of()))
                .hasMessageContaining("Range too big");
    }

    @Test
    void render_strftimeNow_readsTheGivenClock() {
        assertThat(render("{{ strftime_now('%Y-%m-%d %H:%M') }}", Map.of())).isEqualTo("2024-07-26 14:05");
    }

    @Test
    void render_sameTemplateFromManyThreads_givesTheSameText() throws Exception {
        JinjaTemplate t = JinjaTemplate.compile("{% for m in messages %}{{ loop.index }}{{ m }}{% endfor %}");
        Map<String, Object> vars = Map.of("messages", List.of("a", "b", "c"));
        List<java.util.concurrent.Callable<String>> jobs = java.util.Collections.nCopies(64, () -> t.render(vars));
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(4)) {
            for (var f : pool.invokeAll(jobs)) {
                assertThat(f.get()).isEqualTo("1a2b3c");
            }
        }
    }
}
