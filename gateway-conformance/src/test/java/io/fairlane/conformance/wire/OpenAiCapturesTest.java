package io.fairlane.conformance.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fairlane.conformance.Fixtures;
import io.fairlane.conformance.schema.OpenApiSchemas;
import io.fairlane.conformance.schema.SchemaKind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Real streams recorded from api.openai.com hold every stream invariant the harness checks: the checks
 * raise no false alarm on the genuine article.
 */
class OpenAiCapturesTest {

    static List<Path> captures() {
        return Fixtures.sseCapturesOrMissing();
    }

    private static SseTranscript read(Path capture) throws IOException {
        return SseTranscript.parse(Files.readAllBytes(Fixtures.present(capture)));
    }

    @ParameterizedTest
    @MethodSource("captures")
    void parse_openAiCapture_findsNoFramingProblem(Path capture) throws IOException {
        assertThat(read(capture).framingProblems()).isEmpty();
    }

    @ParameterizedTest
    @MethodSource("captures")
    void parse_openAiCapture_endsWithOneDone(Path capture) throws IOException {
        List<SseEvent> events = read(capture).events();

        assertThat(events.stream().filter(SseEvent::isDone).count()).isOne();
        assertThat(events.getLast().isDone()).isTrue();
    }

    @ParameterizedTest
    @MethodSource("captures")
    void assemble_openAiCapture_everyChoiceOpensWithRoleAndFinishesOnce(Path capture) throws IOException {
        StreamAssembly stream = StreamAssembly.of(read(capture).chunks());

        assertThat(stream.choices().values()).isNotEmpty().allSatisfy(choice -> {
            assertThat(choice.firstDelta().path("role").asText()).isEqualTo("assistant");
            assertThat(choice.finishReasons()).hasSize(1);
            assertThat(choice.deltaAfterFinish()).isFalse();
        });
    }

    @ParameterizedTest
    @MethodSource("captures")
    void assemble_openAiCapture_toolCallsOpenWithIdTypeAndNameAndJoinIntoJson(Path capture) throws IOException {
        StreamAssembly stream = StreamAssembly.of(read(capture).chunks());

        for (StreamAssembly.Choice choice : stream.choices().values()) {
            for (StreamAssembly.ToolCall call : choice.toolCalls().values()) {
                assertThat(call.firstDelta().path("id").asText()).isNotEmpty();
                assertThat(call.firstDelta().path("type").asText()).isEqualTo("function");
                assertThat(call.firstDelta().path("function").path("name").asText()).isNotEmpty();
                assertThat(call.ids()).hasSize(1);
                assertThat(call.arguments()).satisfies(args -> assertThat(
                        new com.fasterxml.jackson.databind.ObjectMapper().readTree(args).isObject()).isTrue());
            }
            if (!choice.toolCalls().isEmpty()) {
                assertThat(choice.finishReasons()).containsExactly("tool_calls");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("captures")
    void assemble_openAiCapture_sharesIdCreatedAndModelInEveryChunk(Path capture) throws IOException {
        List<JsonNode> chunks = read(capture).chunks();

        for (String field : List.of("id", "created", "model")) {
            assertThat(chunks.stream().map(c -> c.get(field)).distinct()).as(field).hasSize(1);
        }
    }

    @ParameterizedTest
    @MethodSource("captures")
    void validate_openAiCaptureChunks_matchTheOpenApiDocument(Path capture) throws IOException {
        OpenApiSchemas schemas = OpenApiSchemas.load(Fixtures.openapi());
        List<String> violations = new ArrayList<>();
        for (JsonNode chunk : read(capture).chunks()) {
            violations.addAll(schemas.validate(SchemaKind.CHAT_COMPLETION_CHUNK, chunk).violations());
        }

        assertThat(violations).isEmpty();
    }

    @ParameterizedTest
    @MethodSource("captures")
    void assemble_openAiCaptureUsageChunk_hasEmptyChoicesAndComesLast(Path capture) throws IOException {
        StreamAssembly stream = StreamAssembly.of(read(capture).chunks());

        assertThat(stream.usageChunks()).containsExactly(stream.chunks().size() - 1);
        assertThat(Set.copyOf(stream.emptyChoiceChunks())).isEqualTo(Set.copyOf(stream.usageChunks()));
    }
}
