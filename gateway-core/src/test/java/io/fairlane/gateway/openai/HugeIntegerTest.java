package io.fairlane.gateway.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.gateway.http.ApiError;
import io.fairlane.gateway.http.ApiException;
import io.fairlane.gateway.http.Json;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Integers beyond 64 bits (2^70 tokens) are out of range, and the answer says so with the number sent; it used
 * to say "expected an integer, but got an integer".
 */
class HugeIntegerTest {

    private static ApiError chatError(String field, String value) throws Exception {
        ObjectNode body = (ObjectNode) Json.MAPPER.readTree("{\"model\":\"m\",\"messages\":[{\"role\":\"user\","
                + "\"content\":\"hi\"}],\"" + field + "\":" + value + "}");
        return catchThrowableOfType(ApiException.class, () -> ChatCompletionRequest.parse(body)).error();
    }

    @ParameterizedTest
    @CsvSource({
        "max_tokens, 1180591620717411303424, integer_above_max_value",
        "max_completion_tokens, 1180591620717411303424, integer_above_max_value",
        "max_tokens, -1180591620717411303424, integer_below_min_value",
        "max_tokens, 1e30, integer_above_max_value",
        "n, 99999999999999999999999, integer_above_max_value",
        "seed, 99999999999999999999999, integer_above_max_value",
    })
    void parse_integerBeyond64Bits_answersOutOfRangeNamingTheValue(String field, String value, String code)
            throws Exception {
        ApiError e = chatError(field, value);
        assertThat(e.status()).isEqualTo(400);
        assertThat(e.code()).isEqualTo(code);
        assertThat(e.param()).isEqualTo(field);
        assertThat(e.message()).doesNotContain("expected an integer").contains(value.replace("1e30", "1.0E30"));
    }

    @ParameterizedTest
    @CsvSource({"max_tokens, 1.5", "max_tokens, '\"ten\"'"})
    void parse_notAnInteger_isStillAnInvalidType(String field, String value) throws Exception {
        assertThat(chatError(field, value).code()).isEqualTo("invalid_type");
    }
}
