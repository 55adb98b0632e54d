package io.fairlane.engine.grammar;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.util.Set;

/**
 * An independent check of generated outputs: networknt's JSON Schema validator (draft 2020-12) with format
 * assertions on, so that a date that is no date fails as a wrong type would.
 */
final class SchemaValidation {

    static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonSchemaFactory FACTORY = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
    private static final SchemaValidatorsConfig CONFIG = SchemaValidatorsConfig.builder()
            .formatAssertionsEnabled(true)
            .build();

    private SchemaValidation() {
    }

    /** The validator's complaints about {@code output} (which must parse as JSON), empty when it validates. */
    static Set<ValidationMessage> problems(String schema, String output) {
        try {
            JsonNode instance = JSON.readTree(output);
            JsonSchema s = FACTORY.getSchema(JSON.readTree(schema), CONFIG);
            return s.validate(instance);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new AssertionError("output is not JSON: " + e.getOriginalMessage() + "\n" + output, e);
        }
    }
}
