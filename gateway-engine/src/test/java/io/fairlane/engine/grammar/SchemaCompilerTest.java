package io.fairlane.engine.grammar;

import static io.fairlane.engine.grammar.Sentences.accepts;
import static io.fairlane.engine.grammar.Sentences.lax;
import static io.fairlane.engine.grammar.Sentences.prefix;
import static io.fairlane.engine.grammar.Sentences.strict;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * What each supported keyword lets through and keeps out, as sentences of the compiled grammar; schemas are
 * written with single quotes for readability.
 */
class SchemaCompilerTest {

    private static String q(String s) {
        return s.replace('\'', '"');
    }

    private static Grammar laxQ(String schema) {
        return lax(q(schema));
    }

    private static Grammar strictQ(String schema) {
        return strict(q(schema));
    }

    private static boolean ok(Grammar g, String text) {
        return accepts(g, q(text));
    }

    // ---- types

    @Test
    void string_anyText_acceptedWithEscapes() {
        Grammar g = laxQ("{'type':'string'}");
        assertThat(ok(g, "'héllo \\n \\' \\u00e9 🌊'")).isTrue();
    }

    @Test
    void string_rawControlCharacter_refused() {
        assertThat(accepts(laxQ("{'type':'string'}"), "\"a\tb\"")).isFalse();
    }

    @Test
    void string_loneSurrogateEscape_refused() {
        assertThat(ok(laxQ("{'type':'string'}"), "'\\ud800'")).isFalse();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {"0|true", "-12|true", "120|true", "1.5|false", "-0|false", "012|false"})
    void integer_syntax(String text, boolean valid) {
        assertThat(ok(laxQ("{'type':'integer'}"), text)).isEqualTo(valid);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {"0|true", "-0.5|true", "3.25|true", "1e5|false", ".5|false", "1.|false"})
    void number_syntax(String text, boolean valid) {
        assertThat(ok(laxQ("{'type':'number'}"), text)).isEqualTo(valid);
    }

    @Test
    void booleanAndNull_literalsOnly() {
        Grammar g = laxQ("{'type':['boolean','null']}");
        assertThat(new boolean[] {ok(g, "true"), ok(g, "false"), ok(g, "null"), ok(g, "0")})
                .containsExactly(true, true, true, false);
    }

    @Test
    void typeArray_nullableString_acceptsBoth() {
        Grammar g = laxQ("{'type':['string','null']}");
        assertThat(ok(g, "'x'") && ok(g, "null") && !ok(g, "1")).isTrue();
    }

    @Test
    void noType_noKeywords_anyJsonValue() {
        Grammar g = laxQ("{}");
        assertThat(ok(g, "{'a':[1,{'b':null}],'c':'d'}") && ok(g, "[true, 2.5]") && ok(g, "'s'")).isTrue();
    }

    // ---- objects

    @Test
    void object_propertiesInSchemaOrder_otherOrderRefused() {
        Grammar g = strictQ("{'type':'object','properties':{'b':{'type':'integer'},'a':{'type':'string'}},"
                + "'required':['b','a'],'additionalProperties':false}");
        assertThat(ok(g, "{'b':1,'a':'x'}") && !ok(g, "{'a':'x','b':1}")).isTrue();
    }

    @Test
    void object_requiredPropertyMissing_refused() {
        Grammar g = strictQ("{'type':'object','properties':{'a':{'type':'string'}},'required':['a'],"
                + "'additionalProperties':false}");
        assertThat(ok(g, "{}")).isFalse();
    }

    @Test
    void object_extraProperty_refused() {
        Grammar g = strictQ("{'type':'object','properties':{'a':{'type':'string'}},'required':['a'],"
                + "'additionalProperties':false}");
        assertThat(ok(g, "{'a':'x','z':1}")).isFalse();
    }

    @Test
    void object_optionalPropertiesWhenNotStrict_anySubsetInOrder() {
        Grammar g = laxQ("{'type':'object','properties':{'a':{'type':'integer'},'b':{'type':'integer'},"
                + "'c':{'type':'integer'}},'required':['b']}");
        assertThat(new boolean[] {ok(g, "{'b':1}"), ok(g, "{'a':1,'b':2}"), ok(g, "{'b':2,'c':3}"),
            ok(g, "{'a':1,'b':2,'c':3}"), ok(g, "{'a':1}"), ok(g, "{'a':1,'c':3}")})
                .containsExactly(true, true, true, true, false, false);
    }

    @Test
    void object_requiredWithoutProperties_generatesTheRequiredKey() {
        Grammar g = laxQ("{'type':'object','required':['id']}");
        assertThat(ok(g, "{'id':[1]}") && !ok(g, "{}")).isTrue();
    }

    @Test
    void object_additionalPropertiesSchemaWithoutProperties_isAMap() {
        Grammar g = laxQ("{'type':'object','additionalProperties':{'type':'integer'}}");
        assertThat(ok(g, "{}") && ok(g, "{'x':1, 'y':2}") && !ok(g, "{'x':'1'}")).isTrue();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {"{'a': 1, 'b': 2}|true", "{'a':1,'b':2}|true", "{'a':  1,'b':2}|false",
        "{ 'a':1,'b':2}|false", "{'a':1 ,'b':2}|false", "{'a':1,\\n'b':2}|false"})
    void whitespace_atMostOneSpaceAfterColonAndComma(String text, boolean valid) {
        Grammar g = laxQ("{'type':'object','properties':{'a':{'type':'integer'},'b':{'type':'integer'}},"
                + "'required':['a','b']}");
        assertThat(ok(g, text.replace("\\n", "\n"))).isEqualTo(valid);
    }

    @Test
    void completeObject_nothingMayFollow() {
        Grammar g = laxQ("{'type':'object','properties':{'a':{'type':'integer'}},'required':['a']}");
        assertThat(prefix(g, q("{'a':1} "))).isFalse();
    }

    @Test
    void propertyName_needingEscapes_writtenAsJsonEscapes() {
        Grammar g = laxQ("{'type':'object','properties':{'say \\'hi\\'':{'type':'integer'}},'required':['say \\'hi\\'']}");
        assertThat(ok(g, "{'say \\'hi\\'':1}")).isTrue();
    }

    // ---- arrays

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {"[]|false", "[1]|false", "[1,2]|true", "[1, 2, 3]|true", "[1,2,3,4]|true",
        "[1,2,3,4,5]|false"})
    void array_minAndMaxItems(String text, boolean valid) {
        assertThat(ok(laxQ("{'type':'array','items':{'type':'integer'},'minItems':2,'maxItems':4}"), text))
                .isEqualTo(valid);
    }

    @Test
    void array_itemsSchemaEnforced() {
        Grammar g = laxQ("{'type':'array','items':{'type':'string'}}");
        assertThat(ok(g, "['a','b']") && ok(g, "[]") && !ok(g, "['a',1]")).isTrue();
    }

    // ---- enum, const, anyOf

    @Test
    void enum_onlyTheValues() {
        Grammar g = laxQ("{'enum':['red','green',3,null,{'a':[1]}]}");
        assertThat(new boolean[] {ok(g, "'red'"), ok(g, "3"), ok(g, "null"), ok(g, "{'a':[1]}"), ok(g, "'blue'")})
                .containsExactly(true, true, true, true, false);
    }

    @Test
    void enum_valuesOfAnotherType_leftOut() {
        Grammar g = laxQ("{'type':'string','enum':['a',1]}");
        assertThat(ok(g, "'a'") && !ok(g, "1")).isTrue();
    }

    @Test
    void enum_hundredsOfValues_allAccepted() {
        StringBuilder values = new StringBuilder();
        for (int i = 0; i < 300; i++) {
            values.append(i == 0 ? "" : ",").append("'v").append(i).append("'");
        }
        Grammar g = laxQ("{'type':'string','enum':[" + values + "]}");
        assertThat(ok(g, "'v0'") && ok(g, "'v299'") && !ok(g, "'v300'")).isTrue();
    }

    @Test
    void const_onlyThatValue() {
        Grammar g = laxQ("{'const':'Deployment'}");
        assertThat(ok(g, "'Deployment'") && !ok(g, "'Deploymen'")).isTrue();
    }

    @Test
    void anyOf_eitherAlternative() {
        Grammar g = laxQ("{'anyOf':[{'type':'integer','minimum':10},{'type':'string','maxLength':2}]}");
        assertThat(new boolean[] {ok(g, "12"), ok(g, "'ab'"), ok(g, "9"), ok(g, "'abc'")})
                .containsExactly(true, true, false, false);
    }

    @Test
    void anyOf_twoPatternsOnStrings_eitherMatches() {
        Grammar g = laxQ("{'anyOf':[{'type':'string','pattern':'^a+$'},{'type':'string','pattern':'^b+$'}]}");
        assertThat(ok(g, "'aaa'") && ok(g, "'bb'") && !ok(g, "'ab'")).isTrue();
    }

    // ---- $ref

    @Test
    void ref_recursiveDefinition_nestsArbitrarily() {
        Grammar g = laxQ("{'$defs':{'n':{'type':'object','properties':{'v':{'type':'integer'},"
                + "'kids':{'type':'array','items':{'$ref':'#/$defs/n'}}},'required':['v','kids']}},'$ref':'#/$defs/n'}");
        assertThat(ok(g, "{'v':1,'kids':[{'v':2,'kids':[{'v':3,'kids':[]}]},{'v':4,'kids':[]}]}")).isTrue();
    }

    @Test
    void ref_recursiveDefinition_wrongInnerShapeRefused() {
        Grammar g = laxQ("{'$defs':{'n':{'type':'object','properties':{'v':{'type':'integer'},"
                + "'kids':{'type':'array','items':{'$ref':'#/$defs/n'}}},'required':['v','kids']}},'$ref':'#/$defs/n'}");
        assertThat(ok(g, "{'v':1,'kids':[{'v':'x','kids':[]}]}")).isFalse();
    }

    @Test
    void ref_toRoot_recurses() {
        Grammar g = strictQ("{'type':'object','properties':{'name':{'type':'string'},'next':{'anyOf':[{'$ref':'#'},"
                + "{'type':'null'}]}},'required':['name','next'],'additionalProperties':false}");
        assertThat(ok(g, "{'name':'a','next':{'name':'b','next':null}}")).isTrue();
    }

    @Test
    void ref_definitionsAndEscapedPointer_resolved() {
        Grammar g = laxQ("{'definitions':{'a/b':{'type':'integer'}},'$ref':'#/definitions/a~1b'}");
        assertThat(ok(g, "5") && !ok(g, "'5'")).isTrue();
    }

    // ---- strings: pattern, format, length

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {"'AB-123'|true", "'ab-123'|false", "'AB-12'|false", "'xAB-123'|false"})
    void pattern_anchored(String text, boolean valid) {
        assertThat(ok(laxQ("{'type':'string','pattern':'^[A-Z]{2}-\\\\d{3}$'}"), text)).isEqualTo(valid);
    }

    @Test
    void pattern_unanchored_matchesAnywhere() {
        Grammar g = laxQ("{'type':'string','pattern':'@'}");
        assertThat(ok(g, "'a@b'") && ok(g, "'@'") && !ok(g, "'ab'")).isTrue();
    }

    @Test
    void pattern_withMaxLength_lengthStillEnforced() {
        Grammar g = laxQ("{'type':'string','pattern':'^[a-z]+$','maxLength':3}");
        assertThat(ok(g, "'abc'") && !ok(g, "'abcd'")).isTrue();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {"''|false", "'a'|true", "'ab'|true", "'é\\n'|true", "'abc'|false"})
    void minAndMaxLength_countCharactersNotBytes(String text, boolean valid) {
        assertThat(ok(laxQ("{'type':'string','minLength':1,'maxLength':2}"), text)).isEqualTo(valid);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "date|2024-02-28|2024-02-30", "time|23:59:59Z|24:00:00Z", "date-time|2024-01-31T08:00:00+02:00|2024-01-31 08:00",
        "duration|P1Y2M3DT4H5M6S|P", "email|jo.doe@mail.example.com|jo@", "hostname|api.example.org|-bad-",
        "ipv4|192.168.0.1|256.1.1.1", "ipv6|fe80::1|fe80:::1", "uuid|123e4567-e89b-12d3-a456-426614174000|123e4567"})
    void format_validValueAcceptedInvalidRefused(String format, String valid, String invalid) {
        Grammar g = laxQ("{'type':'string','format':'" + format + "'}");
        assertThat(new boolean[] {ok(g, "'" + valid + "'"), ok(g, "'" + invalid + "'")}).containsExactly(true, false);
    }

    // ---- numbers

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {"2|false", "3|true", "100|true", "120|true", "121|false", "-5|false"})
    void integer_minimumAndMaximum(String text, boolean valid) {
        assertThat(ok(laxQ("{'type':'integer','minimum':3,'maximum':120}"), text)).isEqualTo(valid);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {"-90|true", "-90.5|false", "0|true", "89.999|true", "90|false", "-89.25|true"})
    void number_decimalBoundsExclusive(String text, boolean valid) {
        assertThat(ok(laxQ("{'type':'number','minimum':-90,'exclusiveMaximum':90}"), text)).isEqualTo(valid);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {"0.25|false", "0.5|true", "3.5|true", "3.75|false", "1.1|false", "2|true"})
    void number_multipleOfQuarterWithinBounds(String text, boolean valid) {
        assertThat(ok(laxQ("{'type':'number','exclusiveMinimum':0.25,'maximum':3.5,'multipleOf':0.25}"), text))
                .isEqualTo(valid);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {"0|true", "15|true", "-30|true", "7|false"})
    void integer_multipleOf(String text, boolean valid) {
        assertThat(ok(laxQ("{'type':'integer','multipleOf':15}"), text)).isEqualTo(valid);
    }

    @Test
    void number_priceMultipleOfCent_atMostTwoDecimals() {
        Grammar g = laxQ("{'type':'number','minimum':0,'multipleOf':0.01}");
        assertThat(ok(g, "19.99") && ok(g, "3") && !ok(g, "1.005")).isTrue();
    }

    // ---- tool calls

    @Test
    void toolCall_withParameterSchema_argumentsFollowIt() {
        Grammar g = Grammars.compileUncached(new io.fairlane.engine.OutputConstraint.ToolCall(
                java.util.List.of("get_weather", "ping"), java.util.Map.of("get_weather",
                new io.fairlane.engine.OutputConstraint.JsonSchema("get_weather", q("{'type':'object','properties':"
                        + "{'city':{'type':'string'}},'required':['city'],'additionalProperties':false}"), true))));
        assertThat(new boolean[] {
            ok(g, "{'name': 'get_weather', 'arguments': {'city':'Oslo'}}"),
            ok(g, "{'name': 'get_weather', 'arguments': {}}"),
            ok(g, "{'name': 'ping', 'arguments': {'any': [1]}}")}).containsExactly(true, false, true);
    }
}
