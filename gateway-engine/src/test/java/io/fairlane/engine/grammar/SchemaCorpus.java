package io.fairlane.engine.grammar;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * The structured-output corpus: hand-written schemas of real APIs' shape ({@code structured/handwritten/*.json})
 * and {@value #GENERATED} generated ones ({@code structured/generated.jsonl}), built by {@link #main} from a fixed
 * seed out of the pieces real schemas are made of: records of typed fields whose names suggest their format
 * ({@code email}, {@code created_at}, {@code id}) or pattern ({@code sku}, {@code postal_code}), bounded numbers,
 * enums small and large, arrays with counts, nested objects five and more levels deep, {@code $defs} reused and
 * recursive ({@code children}, {@code replies}, {@code next}), {@code anyOf} unions, optional properties
 * (non-strict) and nullable ones (strict).
 *
 * <p>Regenerate with {@code SchemaCorpus.main} when the generator changes (it writes the file it reads).
 */
final class SchemaCorpus {

    static final int GENERATED = 220;
    static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    /** One corpus entry. */
    record Entry(String name, boolean strict, String schema) {
    }

    private SchemaCorpus() {
    }

    /** Every entry: the hand-written ones (sorted by file name), then the generated ones. */
    static List<Entry> all() {
        List<Entry> out = new ArrayList<>(handwritten());
        out.addAll(generated());
        return out;
    }

    static Path resources() {
        Path p = Path.of("src", "test", "resources", "structured");
        if (!Files.isDirectory(p)) {
            p = Path.of("gateway-engine").resolve(p);
        }
        return p;
    }

    static List<Entry> handwritten() {
        try (Stream<Path> files = Files.list(resources().resolve("handwritten"))) {
            List<Entry> out = new ArrayList<>();
            for (Path f : files.filter(x -> x.toString().endsWith(".json")).sorted().toList()) {
                JsonNode n = JSON.readTree(f.toFile());
                out.add(new Entry(n.get("name").asText(), n.get("strict").asBoolean(), JSON.writeValueAsString(
                        n.get("schema"))));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<Entry> generated() {
        try {
            List<Entry> out = new ArrayList<>();
            for (String line : Files.readAllLines(resources().resolve("generated.jsonl"), StandardCharsets.UTF_8)) {
                if (!line.isBlank()) {
                    JsonNode n = JSON.readTree(line);
                    out.add(new Entry(n.get("name").asText(), n.get("strict").asBoolean(),
                            JSON.writeValueAsString(n.get("schema"))));
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes {@code generated.jsonl}. */
    public static void main(String[] args) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < GENERATED; i++) {
            Generator g = new Generator(new SplittableRandom(0x5EED_0000L + i), i % 3 != 2);
            ObjectNode schema = g.root(i);
            ObjectNode line = F.objectNode();
            line.put("name", String.format("generated_%03d", i));
            line.put("strict", g.strict);
            line.set("schema", schema);
            sb.append(JSON.writeValueAsString(line)).append('\n');
        }
        Files.writeString(resources().resolve("generated.jsonl"), sb.toString(), StandardCharsets.UTF_8);
    }

    // ---- the generator

    private static final String[] NOUNS = {"user", "account", "order", "invoice", "shipment", "product", "review",
        "ticket", "event", "booking", "payment", "address", "contact", "device", "sensor", "report", "task",
        "project", "document", "message", "flight", "hotel", "patient", "appointment", "vehicle", "policy"};
    private static final String[] PLAIN = {"name", "title", "description", "summary", "notes", "label", "comment",
        "city", "street", "company", "subject", "body", "reason", "category_name", "author", "headline"};
    private static final String[][] FORMATTED = {{"email", "email"}, {"contact_email", "email"},
        {"created_at", "date-time"}, {"updated_at", "date-time"}, {"birth_date", "date"}, {"due_date", "date"},
        {"start_time", "time"}, {"id", "uuid"}, {"request_id", "uuid"}, {"host", "hostname"},
        {"server", "hostname"}, {"ip_address", "ipv4"}, {"gateway_ip", "ipv6"}, {"timeout", "duration"},
        {"retention", "duration"}};
    private static final String[][] PATTERNED = {{"sku", "^[A-Z]{3}-\\d{4}$"}, {"postal_code", "^\\d{5}(-\\d{4})?$"},
        {"phone", "^\\+[1-9]\\d{6,12}$"}, {"version", "^\\d+\\.\\d+\\.\\d+$"}, {"color", "^#[0-9a-fA-F]{6}$"},
        {"currency", "^[A-Z]{3}$"}, {"slug", "^[a-z0-9]+(-[a-z0-9]+)*$"}, {"ticket_ref", "^TCK-[0-9]{3,6}$"},
        {"iban_prefix", "^[A-Z]{2}\\d{2}"}, {"hashtag", "^#\\w+"}};
    private static final String[][] SMALL_ENUMS = {{"status", "pending", "active", "suspended", "closed"},
        {"priority", "low", "medium", "high", "urgent"}, {"sentiment", "positive", "neutral", "negative"},
        {"unit", "celsius", "fahrenheit"}, {"role", "admin", "editor", "viewer", "guest"},
        {"channel", "email", "sms", "push", "web"}, {"severity", "info", "warning", "error", "critical"}};
    private static final String[] ADJECTIVES = {"outdoor", "indoor", "kids", "vintage", "smart", "organic", "digital",
        "portable", "luxury", "budget", "eco", "pro"};
    private static final String[] GOODS = {"furniture", "lighting", "audio", "cameras", "bikes", "toys", "tea",
        "coffee", "books", "games", "tools", "garden"};

    /** Builds one random schema; confined to one thread. */
    private static final class Generator {
        final SplittableRandom r;
        final boolean strict;
        ObjectNode defs;
        int defCount;

        Generator(SplittableRandom r, boolean strict) {
            this.r = r;
            this.strict = strict;
        }

        ObjectNode root(int index) {
            defs = F.objectNode();
            ObjectNode root;
            switch (index % 11) {
                case 0 -> root = tree("node", "children");
                case 1 -> root = linkedList();
                case 2 -> root = thread();
                case 3 -> root = deep(5 + r.nextInt(3));
                case 4 -> root = withLargeEnum();
                case 5 -> root = expression();
                default -> root = record(NOUNS[r.nextInt(NOUNS.length)], 0, 3 + r.nextInt(6));
            }
            if (!defs.isEmpty()) {
                root.set("$defs", defs);
            }
            return root;
        }

        ObjectNode object(List<String> names, List<JsonNode> values) {
            ObjectNode o = F.objectNode();
            o.put("type", "object");
            ObjectNode props = o.putObject("properties");
            ArrayNode required = F.arrayNode();
            for (int i = 0; i < names.size(); i++) {
                props.set(names.get(i), values.get(i));
                if (strict || r.nextInt(3) != 0) {
                    required.add(names.get(i));
                }
            }
            o.set("required", required);
            if (strict || r.nextBoolean()) {
                o.put("additionalProperties", false);
            }
            return o;
        }

        /** A record of {@code fields} typed fields, nested up to depth 3 below {@code depth}. */
        ObjectNode record(String noun, int depth, int fields) {
            List<String> names = new ArrayList<>();
            List<JsonNode> values = new ArrayList<>();
            Set<String> used = new LinkedHashSet<>();
            for (int i = 0; i < fields; i++) {
                String[] nv = field(noun, depth, used);
                if (nv == null) {
                    continue;
                }
                names.add(nv[0]);
                values.add(parsed(nv[1]));
            }
            return object(names, values);
        }

        private JsonNode parsed(String s) {
            try {
                return JSON.readTree(s);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** A field name and its schema text; null when the name was taken. */
        String[] field(String noun, int depth, Set<String> used) {
            int kind = r.nextInt(depth < 3 ? 12 : 10);
            String name;
            JsonNode schema;
            switch (kind) {
                case 0, 1 -> {
                    name = PLAIN[r.nextInt(PLAIN.length)];
                    ObjectNode s = F.objectNode().put("type", "string");
                    if (r.nextInt(4) == 0) {
                        s.put("maxLength", 8 + r.nextInt(60));
                    }
                    if (r.nextInt(6) == 0) {
                        s.put("minLength", 1 + r.nextInt(3));
                    }
                    if (r.nextBoolean()) {
                        s.put("description", "The " + noun + "'s " + name.replace('_', ' ') + ".");
                    }
                    schema = s;
                }
                case 2 -> {
                    String[] f = FORMATTED[r.nextInt(FORMATTED.length)];
                    name = f[0];
                    schema = F.objectNode().put("type", "string").put("format", f[1]);
                }
                case 3 -> {
                    String[] p = PATTERNED[r.nextInt(PATTERNED.length)];
                    name = p[0];
                    schema = F.objectNode().put("type", "string").put("pattern", p[1]);
                }
                case 4 -> {
                    String[] e = SMALL_ENUMS[r.nextInt(SMALL_ENUMS.length)];
                    name = e[0];
                    ArrayNode values = F.arrayNode();
                    for (int i = 1; i < e.length; i++) {
                        values.add(e[i]);
                    }
                    schema = F.objectNode().put("type", "string").set("enum", values);
                }
                case 5 -> {
                    String[][] ints = {{"age", "0", "150"}, {"quantity", "1", "1000"}, {"rating", "1", "5"},
                        {"retries", "0", "10"}, {"year", "1900", "2100"}, {"port", "1", "65535"}};
                    String[] i = ints[r.nextInt(ints.length)];
                    name = i[0];
                    schema = F.objectNode().put("type", "integer").put("minimum", Integer.parseInt(i[1]))
                            .put("maximum", Integer.parseInt(i[2]));
                }
                case 6 -> {
                    String[][] nums = {{"price", "0", null, "0.01"}, {"latitude", "-90", "90", null},
                        {"longitude", "-180", "180", null}, {"score", "0", "1", null}, {"percent", "0", "100", null},
                        {"temperature", null, null, null}, {"weight_kg", "0", null, "0.5"}};
                    String[] n = nums[r.nextInt(nums.length)];
                    name = n[0];
                    ObjectNode s = F.objectNode().put("type", "number");
                    if (n[1] != null) {
                        s.put("minimum", new java.math.BigDecimal(n[1]));
                    }
                    if (n[2] != null) {
                        s.put(r.nextBoolean() ? "maximum" : "exclusiveMaximum", new java.math.BigDecimal(n[2]));
                    }
                    if (n[3] != null) {
                        s.put("multipleOf", new java.math.BigDecimal(n[3]));
                    }
                    schema = s;
                }
                case 7 -> {
                    String[] flags = {"active", "verified", "archived", "is_public", "paid", "urgent"};
                    name = flags[r.nextInt(flags.length)];
                    schema = F.objectNode().put("type", "boolean");
                }
                case 8 -> {
                    String[] lists = {"tags", "aliases", "keywords", "labels"};
                    name = lists[r.nextInt(lists.length)];
                    ObjectNode s = F.objectNode().put("type", "array");
                    s.set("items", F.objectNode().put("type", "string").put("maxLength", 20));
                    if (r.nextBoolean()) {
                        s.put("minItems", r.nextInt(2));
                    }
                    if (r.nextBoolean()) {
                        s.put("maxItems", 2 + r.nextInt(5));
                    }
                    schema = s;
                }
                case 9 -> {
                    name = "reference";
                    schema = ref(noun);
                }
                case 10 -> {
                    String[] nested = {"details", "metadata", "owner", "location", "settings", "billing"};
                    name = nested[r.nextInt(nested.length)];
                    schema = record(name, depth + 1, 2 + r.nextInt(4));
                }
                default -> {
                    String[] lists = {"items", "entries", "line_items", "attendees", "participants"};
                    name = lists[r.nextInt(lists.length)];
                    ObjectNode s = F.objectNode().put("type", "array");
                    s.set("items", record(name, depth + 1, 2 + r.nextInt(3)));
                    if (r.nextBoolean()) {
                        s.put("maxItems", 1 + r.nextInt(4));
                    }
                    schema = s;
                }
            }
            if (!used.add(name)) {
                return null;
            }
            if (r.nextInt(6) == 0 && schema.has("type") && schema.get("type").isTextual()) {
                ObjectNode nullable = ((ObjectNode) schema).deepCopy();
                ArrayNode types = F.arrayNode().add(schema.get("type").asText()).add("null");
                nullable.set("type", types);
                if (nullable.has("enum")) {
                    ((ArrayNode) nullable.get("enum")).addNull();
                }
                schema = nullable;
            } else if (r.nextInt(12) == 0) {
                schema = F.objectNode().set("anyOf", F.arrayNode().add(schema).add(F.objectNode().put("type", "null")));
            }
            return new String[] {name, schema.toString()};
        }

        /** A $ref to a small reused definition. */
        JsonNode ref(String noun) {
            String def = "Ref" + defCount++;
            List<String> names = List.of("id", "kind");
            List<JsonNode> values = List.of(F.objectNode().put("type", "string").put("format", "uuid"),
                    F.objectNode().put("type", "string").set("enum", F.arrayNode().add(noun).add("external")));
            defs.set(def, object(names, values));
            return F.objectNode().put("$ref", "#/$defs/" + def);
        }

        ObjectNode tree(String def, String children) {
            ObjectNode node = record("node", 2, 2 + r.nextInt(3));
            ObjectNode kids = F.objectNode().put("type", "array");
            kids.set("items", F.objectNode().put("$ref", "#/$defs/" + def));
            ((ObjectNode) node.get("properties")).set(children, kids);
            if (strict) {
                ((ArrayNode) node.get("required")).add(children);
            }
            defs.set(def, node);
            List<String> names = List.of("root", "generated_at");
            List<JsonNode> values = List.of(F.objectNode().put("$ref", "#/$defs/" + def),
                    F.objectNode().put("type", "string").put("format", "date-time"));
            return object(names, values);
        }

        ObjectNode linkedList() {
            ObjectNode cell = F.objectNode();
            cell.put("type", "object");
            ObjectNode props = cell.putObject("properties");
            props.set("value", F.objectNode().put("type", "integer"));
            props.set("next", F.objectNode().set("anyOf", F.arrayNode()
                    .add(F.objectNode().put("$ref", "#/$defs/cell")).add(F.objectNode().put("type", "null"))));
            cell.set("required", F.arrayNode().add("value").add("next"));
            cell.put("additionalProperties", false);
            defs.set("cell", cell);
            return object(List.of("head"), List.of(F.objectNode().put("$ref", "#/$defs/cell")));
        }

        ObjectNode thread() {
            ObjectNode comment = record("comment", 2, 2 + r.nextInt(2));
            ObjectNode replies = F.objectNode().put("type", "array").put("maxItems", 3);
            replies.set("items", F.objectNode().put("$ref", "#/$defs/comment"));
            ((ObjectNode) comment.get("properties")).set("replies", replies);
            if (strict) {
                ((ArrayNode) comment.get("required")).add("replies");
            }
            defs.set("comment", comment);
            ObjectNode list = F.objectNode().put("type", "array");
            list.set("items", F.objectNode().put("$ref", "#/$defs/comment"));
            return object(List.of("post_id", "comments"), List.of(F.objectNode().put("type", "string")
                    .put("format", "uuid"), list));
        }

        /** Objects nested {@code levels} deep, each with a field or two beside the next level. */
        ObjectNode deep(int levels) {
            ObjectNode inner = record("leaf", 3, 2);
            String[] names = {"config", "service", "spec", "template", "container", "resources", "limits", "extra"};
            for (int i = levels - 1; i >= 1; i--) {
                List<String> n = new ArrayList<>();
                List<JsonNode> v = new ArrayList<>();
                n.add("name");
                v.add(F.objectNode().put("type", "string").put("maxLength", 32));
                n.add(names[i % names.length]);
                v.add(inner);
                inner = object(n, v);
            }
            return inner;
        }

        ObjectNode withLargeEnum() {
            ArrayNode values = F.arrayNode();
            int count = 100 + r.nextInt(60);
            for (int i = 0; values.size() < count; i++) {
                values.add(ADJECTIVES[i % ADJECTIVES.length] + "-" + GOODS[(i / ADJECTIVES.length) % GOODS.length]
                        + (i >= ADJECTIVES.length * GOODS.length ? "-" + i : ""));
            }
            ObjectNode rec = record("product", 1, 2 + r.nextInt(3));
            ((ObjectNode) rec.get("properties")).set("category", F.objectNode().put("type", "string").set("enum",
                    values));
            ((ArrayNode) rec.get("required")).add("category");
            return rec;
        }

        ObjectNode expression() {
            ObjectNode binary = F.objectNode().put("type", "object");
            ObjectNode props = binary.putObject("properties");
            props.set("op", F.objectNode().put("type", "string").set("enum", F.arrayNode().add("+").add("-")
                    .add("*").add("/")));
            props.set("left", F.objectNode().put("$ref", "#/$defs/expr"));
            props.set("right", F.objectNode().put("$ref", "#/$defs/expr"));
            binary.set("required", F.arrayNode().add("op").add("left").add("right"));
            binary.put("additionalProperties", false);
            ObjectNode literal = F.objectNode().put("type", "object");
            literal.putObject("properties").set("value", F.objectNode().put("type", "number"));
            literal.set("required", F.arrayNode().add("value"));
            literal.put("additionalProperties", false);
            defs.set("expr", F.objectNode().set("anyOf", F.arrayNode().add(literal).add(binary)));
            return object(List.of("expression", "variable"), List.of(F.objectNode().put("$ref", "#/$defs/expr"),
                    F.objectNode().put("type", "string").put("pattern", "^[a-z][a-z0-9_]{0,15}$")));
        }
    }
}
