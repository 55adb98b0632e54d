package io.fairlane.engine.grammar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.fairlane.engine.OutputConstraint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every refusal is a {@link SchemaException} naming the keyword and the JSON pointer of the schema holding it. */
class SchemaRefusalTest {

    private static SchemaException refusal(String schema, boolean strict) {
        return catchThrowableOfType(SchemaException.class, () -> Grammars.compileUncached(
                new OutputConstraint.JsonSchema("t", schema.replace('\'', '"'), strict)));
    }

    private static String where(SchemaException e) {
        return e == null ? "accepted" : e.keyword() + " @ " + e.pointer();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "allOf|/properties/a", "oneOf|/properties/a", "not|/properties/a", "if|/properties/a",
        "dependentRequired|/properties/a", "dependentSchemas|/properties/a", "patternProperties|/properties/a",
        "propertyNames|/properties/a", "unevaluatedProperties|/properties/a", "prefixItems|/properties/a",
        "contains|/properties/a", "uniqueItems|/properties/a", "minProperties|/properties/a",
        "maxProperties|/properties/a", "nullable|/properties/a", "frobnicate|/properties/a"})
    void unsupportedKeyword_namedWithItsPointer(String keyword, String pointer) {
        String schema = "{'type':'object','properties':{'a':{'type':'object','" + keyword + "':true}}}";
        assertThat(where(refusal(schema, false))).isEqualTo(keyword + " @ " + pointer);
    }

    @Test
    void unsupportedKeywordInDefinition_pointerIntoDefs() {
        String schema = "{'$defs':{'x':{'type':'array','items':{'type':'string','not':{}}}},'$ref':'#/$defs/x'}";
        assertThat(where(refusal(schema, false))).isEqualTo("not @ /$defs/x/items");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"(?=a)b", "(a)\\\\1", "\\\\bword", "\\\\p{L}", "a^b"})
    void unsupportedRegex_refusedAsPattern(String pattern) {
        assertThat(where(refusal("{'type':'string','pattern':'" + pattern + "'}", false))).isEqualTo("pattern @ ");
    }

    @Test
    void unknownFormat_refused() {
        assertThat(where(refusal("{'type':'string','format':'iri'}", false))).isEqualTo("format @ ");
    }

    @Test
    void remoteRef_refused() {
        assertThat(where(refusal("{'$ref':'https://example.com/s.json'}", false))).isEqualTo("$ref @ ");
    }

    @Test
    void refToNothing_refused() {
        assertThat(where(refusal("{'type':'object','properties':{'a':{'$ref':'#/$defs/missing'}}}", false)))
                .isEqualTo("$ref @ /properties/a");
    }

    @Test
    void strict_missingAdditionalPropertiesFalse_refused() {
        String schema = "{'type':'object','properties':{'a':{'type':'string'}},'required':['a']}";
        assertThat(where(refusal(schema, true))).isEqualTo("additionalProperties @ ");
    }

    @Test
    void strict_propertyNotRequired_refused() {
        String schema = "{'type':'object','properties':{'a':{'type':'object','properties':{'b':{'type':'string'}},"
                + "'required':[],'additionalProperties':false}},'required':['a'],'additionalProperties':false}";
        assertThat(where(refusal(schema, true))).isEqualTo("required @ /properties/a");
    }

    @Test
    void strict_rootNotAnObject_refused() {
        assertThat(where(refusal("{'type':'array','items':{'type':'string'}}", true))).isEqualTo("type @ ");
    }

    @Test
    void strict_elevenLevelsOfNesting_refused() {
        String schema = "{'type':'string'}";
        for (int i = 0; i < 11; i++) {
            schema = "{'type':'object','properties':{'x':" + schema + "},'required':['x'],'additionalProperties':false}";
        }
        assertThat(refusal(schema, true).keyword()).isEqualTo("properties");
    }

    @Test
    void strict_tenLevelsOfNesting_accepted() {
        String schema = "{'type':'string'}";
        for (int i = 0; i < 10; i++) {
            schema = "{'type':'object','properties':{'x':" + schema + "},'required':['x'],'additionalProperties':false}";
        }
        assertThat(where(refusal(schema, true))).isEqualTo("accepted");
    }

    @Test
    void moreThan5000Properties_refused() {
        StringBuilder props = new StringBuilder();
        for (int i = 0; i < 5001; i++) {
            props.append(i == 0 ? "" : ",").append("'p").append(i).append("':{'type':'boolean'}");
        }
        assertThat(where(refusal("{'type':'object','properties':{" + props + "}}", false)))
                .isEqualTo("properties @ ");
    }

    @Test
    void moreThan1000EnumValues_refused() {
        StringBuilder values = new StringBuilder();
        for (int i = 0; i < 1001; i++) {
            values.append(i == 0 ? "" : ",").append(i);
        }
        assertThat(where(refusal("{'type':'object','properties':{'a':{'enum':[" + values + "]}}}", false)))
                .isEqualTo("enum @ /properties/a");
    }

    @Test
    void moreThan120000CharactersOfNamesAndValues_refused() {
        String big = "x".repeat(60_001);
        String schema = "{'type':'object','properties':{'a':{'const':'" + big + "'},'b':{'const':'" + big + "'}}}";
        assertThat(refusal(schema, false).getMessage()).contains("120000 characters");
    }

    @Test
    void pathologicalRegex_refusedWithinTheBudget() {
        long start = System.nanoTime();
        SchemaException e = refusal("{'type':'string','pattern':'^(a|b)*a(a|b){24}$'}", false);
        assertThat(e.getMessage()).as("took %d ms", (System.nanoTime() - start) / 1_000_000)
                .contains("too complex");
    }

    @Test
    void requiredPropertyThatCannotExist_refused() {
        String schema = "{'type':'object','properties':{},'required':['a'],'additionalProperties':false}";
        assertThat(where(refusal(schema, false))).isEqualTo("required @ ");
    }

    @Test
    void patternAndLengthWithNoCommonString_refused() {
        assertThat(where(refusal("{'type':'string','pattern':'^a{5}$','maxLength':3}", false)))
                .isEqualTo("pattern @ ");
    }

    @Test
    void integerBoundsWithNoInteger_refused() {
        assertThat(where(refusal("{'type':'integer','minimum':1.2,'maximum':1.8}", false))).isEqualTo("minimum @ ");
    }

    @Test
    void recursionWithoutEnd_refused() {
        String schema = "{'type':'object','properties':{'self':{'$ref':'#'}},'required':['self']}";
        assertThat(refusal(schema, false).getMessage()).contains("no finite instance");
    }

    @Test
    void leftRecursion_refused() {
        String schema = "{'$defs':{'a':{'anyOf':[{'$ref':'#/$defs/a'},{'type':'integer'}]}},'$ref':'#/$defs/a'}";
        assertThat(refusal(schema, false).keyword()).isEqualTo("$ref");
    }

    @Test
    void notJson_refused() {
        assertThat(refusal("{'type':", false).getMessage()).contains("not valid JSON");
    }

    @Test
    void multipleOfWithLargeModulus_refused() {
        assertThat(where(refusal("{'type':'integer','multipleOf':123457}", false))).isEqualTo("multipleOf @ ");
    }

    @Test
    void draft4ExclusiveMinimumBoolean_refused() {
        assertThat(where(refusal("{'type':'number','minimum':0,'exclusiveMinimum':true}", false)))
                .isEqualTo("exclusiveMinimum @ ");
    }

    @Test
    void anyOfBesideOtherKeywords_refused() {
        assertThat(where(refusal("{'type':'object','anyOf':[{'required':['a']}]}", false))).isEqualTo("type @ ");
    }

    @Test
    void toolCallParameters_refusalNamesTheFunction() {
        SchemaException e = catchThrowableOfType(SchemaException.class, () -> Grammars.compileUncached(
                new OutputConstraint.ToolCall(java.util.List.of("f"), java.util.Map.of("f",
                        new OutputConstraint.JsonSchema("f", "{\"type\":\"object\",\"oneOf\":[]}", false)))));
        assertThat(e.getMessage()).contains("'f'").contains("oneOf");
    }
}
