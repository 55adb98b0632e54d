package io.fairlane.engine.grammar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.fairlane.engine.OutputConstraint;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GrammarsTest {

    private static final String SCHEMA = "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\"}},"
            + "\"required\":[\"n\"],\"additionalProperties\":false}";

    @Test
    void compile_sameSchemaTwice_compiledOnce() {
        Grammar a = Grammars.compile(new OutputConstraint.JsonSchema("a", SCHEMA, true));
        Grammar b = Grammars.compile(new OutputConstraint.JsonSchema("b", SCHEMA, true));
        assertThat(b).isSameAs(a);
    }

    @Test
    void compile_sameSchemaOtherMode_compiledApart() {
        Grammar strict = Grammars.compile(new OutputConstraint.JsonSchema("a", SCHEMA, true));
        Grammar lax = Grammars.compile(new OutputConstraint.JsonSchema("a", SCHEMA, false));
        assertThat(lax).isNotSameAs(strict);
    }

    @Test
    void compile_refusedSchemaTwice_sameRefusalWithoutRecompiling() {
        OutputConstraint bad = new OutputConstraint.JsonSchema("a", "{\"not\":{}}", false);
        SchemaException first = catchThrowableOfType(SchemaException.class, () -> Grammars.compile(bad));
        SchemaException second = catchThrowableOfType(SchemaException.class, () -> Grammars.compile(bad));
        assertThat(second).isSameAs(first);
    }

    @Test
    void needsGrammar_onlyForSchemas() {
        assertThat(List.of(Grammars.needsGrammar(OutputConstraint.jsonObject()),
                Grammars.needsGrammar(OutputConstraint.toolCall(List.of("f"))),
                Grammars.needsGrammar(OutputConstraint.toolCall(List.of("f"), Map.of("f",
                        new OutputConstraint.JsonSchema("f", SCHEMA, true)))),
                Grammars.needsGrammar(new OutputConstraint.JsonSchema("a", SCHEMA, true))))
                .containsExactly(false, false, true, true);
    }

    @Test
    void toolCall_parametersForUnknownName_refusedAtConstruction() {
        IllegalArgumentException e = catchThrowableOfType(IllegalArgumentException.class, () ->
                OutputConstraint.toolCall(List.of("f"), Map.of("g", new OutputConstraint.JsonSchema("g", SCHEMA,
                        true))));
        assertThat(e.getMessage()).contains("'g'");
    }
}
