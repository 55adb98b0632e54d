package io.fairlane.gateway.deploy;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Reads the deployment YAML files as plain maps and lists, and walks them by key path. */
final class Yaml {

    private Yaml() {
    }

    /** Every document of a (possibly multi-document) YAML file. */
    static List<Object> documents(Path file) throws IOException {
        org.yaml.snakeyaml.Yaml yaml = new org.yaml.snakeyaml.Yaml(new SafeConstructor(new LoaderOptions()));
        List<Object> documents = new ArrayList<>();
        for (Object document : yaml.loadAll(Files.readString(file))) {
            documents.add(document);
        }
        return documents;
    }

    /** The single document of {@code file}, as a map. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Path file) throws IOException {
        List<Object> documents = documents(file);
        if (documents.size() != 1 || !(documents.getFirst() instanceof Map)) {
            throw new IllegalStateException(file + " should hold exactly one YAML mapping");
        }
        return (Map<String, Object>) documents.getFirst();
    }

    /** Follows {@code path} (map keys, or list indexes as numbers) from {@code node}; fails naming the step. */
    static Object at(Object node, Object... path) {
        Object current = node;
        for (Object step : path) {
            if (step instanceof Integer index && current instanceof List<?> list) {
                current = list.get(index);
            } else if (current instanceof Map<?, ?> map && map.containsKey(step)) {
                current = map.get(step);
            } else {
                throw new AssertionError("no '" + step + "' in " + current);
            }
        }
        return current;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> mapAt(Object node, Object... path) {
        return (Map<String, Object>) at(node, path);
    }

    @SuppressWarnings("unchecked")
    static List<Object> listAt(Object node, Object... path) {
        return (List<Object>) at(node, path);
    }
}
