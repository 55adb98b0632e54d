package io.fairlane.conformance.schema;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.AnnotationKeyword;
import com.networknt.schema.JsonMetaSchema;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.PathType;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import com.networknt.schema.oas.OpenApi31;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The component schemas of OpenAI's OpenAPI 3.1 document, ready to validate responses and chunks.
 *
 * <p>The document is 3.1 (JSON Schema 2020-12) but still uses the 3.0 keyword {@code nullable: true} in
 * about a hundred places, and discriminators without mappings. The validator therefore honours
 * {@code nullable} as "null is also allowed" and treats {@code discriminator} as an annotation (with it
 * enforced, valid traffic is rejected). Thread-safe once built; schemas are compiled on first use.
 */
public final class OpenApiSchemas {

    /** Where the shared fixtures keep the document, relative to the fixtures directory. */
    public static final String FIXTURE_PATH = "openai-openapi/openapi.json";

    static final String OAS_BASE_VOCABULARY = "https://spec.openapis.org/oas/3.1/vocab/base";

    private final Path file;
    private final JsonSchemaFactory factory;
    private final SchemaValidatorsConfig config;
    private final Map<SchemaKind, JsonSchema> schemas = new EnumMap<>(SchemaKind.class);

    private OpenApiSchemas(Path file) {
        this.file = file;
        // The validator switches discriminator enforcement on whenever the dialect defines the keyword,
        // whatever the config says. The OAS base vocabulary defines only annotations (discriminator,
        // example, externalDocs, xml); without it, discriminator is an unknown keyword, i.e. an annotation.
        JsonMetaSchema openApi = OpenApi31.getInstance();
        JsonMetaSchema dialect = JsonMetaSchema.builder(openApi.getIri(), openApi)
                .vocabularies(vocabularies -> vocabularies.remove(OAS_BASE_VOCABULARY))
                // Unknown keywords (discriminator, x-oaiMeta, security, ...) are annotations; the default
                // factory also logs a warning for each, which floods a run's console.
                .unknownKeywordFactory((keyword, context) -> new AnnotationKeyword(keyword))
                .build();
        this.factory = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012, builder -> builder
                .metaSchema(dialect)
                .defaultMetaSchemaIri(dialect.getIri()));
        this.config = SchemaValidatorsConfig.builder()
                .nullableKeywordEnabled(true)
                .discriminatorKeywordEnabled(false)
                .pathType(PathType.JSON_PATH)
                .build();
    }

    /** Loads the document at {@code file}. */
    public static OpenApiSchemas load(Path file) {
        requireNonNull(file, "file");
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("no OpenAPI document at " + file);
        }
        return new OpenApiSchemas(file.toAbsolutePath().normalize());
    }

    /**
     * Finds the document: the explicit path when given, else {@code <fairlane.fixtures.dir>/openai-openapi/openapi.json},
     * else {@code ../shared/fixtures/...} and {@code ../../shared/fixtures/...} from the working directory.
     */
    public static Optional<Path> locate(Optional<Path> explicit) {
        if (explicit.isPresent()) {
            return explicit.filter(Files::isRegularFile);
        }
        List<Path> candidates = new ArrayList<>();
        String fixtures = System.getProperty("fairlane.fixtures.dir");
        if (fixtures != null && !fixtures.isBlank()) {
            candidates.add(Path.of(fixtures, FIXTURE_PATH));
        }
        candidates.add(Path.of("..", "shared", "fixtures", FIXTURE_PATH));
        candidates.add(Path.of("..", "..", "shared", "fixtures", FIXTURE_PATH));
        return candidates.stream().filter(Files::isRegularFile).findFirst();
    }

    public Path file() {
        return file;
    }

    /** Validates one document as {@code kind}, after removing the tolerated loose cases. */
    public Outcome validate(SchemaKind kind, JsonNode document) {
        requireNonNull(kind, "kind");
        requireNonNull(document, "document");
        LooseCases.Normalised normalised = LooseCases.normalise(kind, document);
        Set<ValidationMessage> messages = schema(kind).validate(normalised.document());
        List<String> violations = messages.stream().map(ValidationMessage::getMessage).sorted().toList();
        return new Outcome(violations, normalised.tolerated());
    }

    private synchronized JsonSchema schema(SchemaKind kind) {
        return schemas.computeIfAbsent(kind, k -> factory.getSchema(
                SchemaLocation.of(file.toUri() + "#/components/schemas/" + k.component()), config));
    }

    /**
     * What validation found.
     *
     * @param violations the validator's messages, each naming the JSON path
     * @param tolerated the loose cases that were removed before validating
     */
    public record Outcome(List<String> violations, List<String> tolerated) {
        public Outcome {
            violations = List.copyOf(violations);
            tolerated = List.copyOf(tolerated);
        }

        public boolean valid() {
            return violations.isEmpty();
        }
    }
}
