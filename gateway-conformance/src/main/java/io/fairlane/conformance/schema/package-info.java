/**
 * Validation of responses and stream chunks against OpenAI's published OpenAPI 3.1 document, with the
 * places where real, working traffic is looser than that document tolerated explicitly and one by one
 * ({@link io.fairlane.conformance.schema.LooseCases}), so that everything else is held to the document.
 */
package io.fairlane.conformance.schema;
