package io.fairlane.conformance.check;

import static io.fairlane.conformance.check.CheckContext.compact;

import com.fasterxml.jackson.databind.JsonNode;
import io.fairlane.conformance.wire.Exchange;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** The model list and retrieval, which SDKs and UIs call before anything else. */
final class ModelChecks {

    private ModelChecks() {
    }

    static List<Check> all() {
        return List.of(
                new Check("models.list", Suite.MODELS,
                        "GET /models lists the configured models as objects of type 'model'", ModelChecks::list),
                new Check("models.retrieve", Suite.MODELS,
                        "GET /models/{id} returns the model; an unknown id is a 404", ModelChecks::retrieve));
    }

    private static void list(CheckContext context, Findings findings) {
        Exchange exchange = context.once("models", () -> context.probe().get("list models", "models").send());
        CheckContext.okJson(exchange, findings).ifPresent(json -> {
            findings.require("list".equals(json.path("object").asText(null)), "object is " + json.path("object"),
                    exchange);
            JsonNode data = json.path("data");
            if (!data.isArray()) {
                findings.fail("data is " + compact(data) + ", not a list", exchange);
                return;
            }
            List<String> ids = new ArrayList<>();
            for (JsonNode model : data) {
                ids.add(model.path("id").asText(""));
                findings.require("model".equals(model.path("object").asText(null)),
                        "model " + model.path("id") + " has object " + model.path("object"), exchange);
            }
            List<String> wanted = new ArrayList<>(List.of(context.options().model()));
            context.options().embeddingModel().ifPresent(wanted::add);
            for (String id : wanted) {
                findings.require(ids.contains(id), "the list lacks model '" + id + "'", exchange);
            }
            if (!findings.failed()) {
                findings.observe("lists " + ids, exchange);
            }
        });
    }

    private static void retrieve(CheckContext context, Findings findings) {
        String model = context.options().model();
        Exchange known = context.probe().get("retrieve the configured model",
                "models/" + URLEncoder.encode(model, StandardCharsets.UTF_8).replace("+", "%20")).send();
        CheckContext.okJson(known, findings).ifPresent(json -> {
            if (findings.require(model.equals(json.path("id").asText(null)) && "model".equals(json.path("object").asText(null)),
                    "the retrieved object is " + compact(json), known)) {
                findings.observe("retrieves " + compact(json), known);
            }
        });
        Exchange unknown = context.probe().get("retrieve a model that does not exist",
                "models/" + CheckContext.MISSING_MODEL).send();
        if (findings.require(unknown.status() == 404, "an unknown model id answers "
                + unknown.transportError().orElse("status " + unknown.status()) + ", not 404", unknown)) {
            findings.observe("an unknown model id answers 404", unknown);
        }
    }
}
