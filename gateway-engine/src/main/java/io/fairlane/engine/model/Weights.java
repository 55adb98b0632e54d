package io.fairlane.engine.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * All weight tensors of a model directory, memory-mapped: one {@code model.safetensors}, or the shards named by
 * {@code model.safetensors.index.json}. Tensors are slices of the mappings; nothing is copied to the heap.
 *
 * <p>Thread-safe for reads. {@link #close()} unmaps every file; tensors handed out before fail on access after.
 */
public final class Weights implements AutoCloseable {

    /** The single-file name transformers writes. */
    public static final String SINGLE_FILE = "model.safetensors";
    /** The index of a sharded checkpoint. */
    public static final String INDEX_FILE = "model.safetensors.index.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path directory;
    private final Arena arena;
    private final Map<String, Tensor> tensors;
    private final List<Path> files;

    private Weights(Path directory, Arena arena, Map<String, Tensor> tensors, List<Path> files) {
        this.directory = directory;
        this.arena = arena;
        this.tensors = tensors;
        this.files = files;
    }

    /**
     * Maps the weights of {@code directory}.
     *
     * @throws ModelFormatException when no weights are found, the index is invalid or names missing tensors or
     *         files, or a file is corrupt
     */
    public static Weights open(Path directory) {
        Path index = directory.resolve(INDEX_FILE);
        Path single = directory.resolve(SINGLE_FILE);
        Arena arena = Arena.ofShared();
        try {
            Weights w;
            if (Files.isRegularFile(index)) {
                w = openSharded(directory, index, arena);
            } else if (Files.isRegularFile(single)) {
                w = openFiles(directory, List.of(single), arena);
            } else {
                List<Path> found = listSafetensors(directory);
                if (found.size() != 1) {
                    throw new ModelFormatException(directory + ": no " + SINGLE_FILE + " or " + INDEX_FILE
                            + (found.isEmpty() ? "" : " (found " + found.size()
                            + " .safetensors files but no index naming which tensor lives where)"));
                }
                w = openFiles(directory, found, arena);
            }
            return w;
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static List<Path> listSafetensors(Path directory) {
        if (!Files.isDirectory(directory)) {
            throw new ModelFormatException(directory + ": not a directory");
        }
        try (Stream<Path> s = Files.list(directory)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().toList();
        } catch (IOException e) {
            throw new ModelFormatException(directory + ": cannot list: " + e.getMessage(), e);
        }
    }

    private static Weights openFiles(Path directory, List<Path> files, Arena arena) {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Path f : files) {
            SafetensorsFile sf = SafetensorsFile.open(f, arena);
            for (String name : sf.entries().keySet()) {
                Tensor t = sf.tensor(name).orElseThrow();
                Tensor previous = tensors.putIfAbsent(name, t);
                if (previous != null) {
                    throw new ModelFormatException(f + ": tensor '" + name + "' is also in " + previous.file());
                }
            }
        }
        return new Weights(directory, arena, Collections.unmodifiableMap(tensors), List.copyOf(files));
    }

    private static Weights openSharded(Path directory, Path index, Arena arena) {
        JsonNode root;
        try {
            root = JSON.readTree(index.toFile());
        } catch (IOException e) {
            throw new ModelFormatException(index + ": not valid JSON: " + e.getMessage(), e);
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject() || map.isEmpty()) {
            throw new ModelFormatException(index + ": no weight_map object");
        }
        Map<String, String> fileOf = new TreeMap<>();
        Set<String> shardNames = new java.util.LinkedHashSet<>();
        Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : map.properties()) {
            if (!e.getValue().isTextual()) {
                throw new ModelFormatException(index + ": weight_map entry for tensor '" + e.getKey()
                        + "' is not a file name");
            }
            String fileName = e.getValue().asText();
            Path shard = directory.resolve(fileName).normalize();
            if (!shard.getParent().equals(directory.normalize()) || fileName.contains("/")
                    || fileName.contains("\\")) {
                throw new ModelFormatException(index + ": tensor '" + e.getKey() + "' names file '" + fileName
                        + "' outside the model directory");
            }
            if (!Files.isRegularFile(shard)) {
                throw new ModelFormatException(index + ": tensor '" + e.getKey() + "' is in '" + fileName
                        + "', which does not exist");
            }
            fileOf.put(e.getKey(), fileName);
            shardNames.add(fileName);
        }
        for (String fileName : shardNames) {
            shards.put(fileName, SafetensorsFile.open(directory.resolve(fileName), arena));
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : fileOf.entrySet()) {
            SafetensorsFile sf = shards.get(e.getValue());
            Tensor t = sf.tensor(e.getKey()).orElseThrow(() -> new ModelFormatException(sf.file() + ": tensor '"
                    + e.getKey() + "' is missing although " + INDEX_FILE + " places it there"));
            tensors.put(e.getKey(), t);
        }
        List<Path> files = shards.keySet().stream().map(directory::resolve).toList();
        return new Weights(directory, arena, Collections.unmodifiableMap(tensors), files);
    }

    public Path directory() {
        return directory;
    }

    /** The safetensors files mapped, in index order. */
    public List<Path> files() {
        return files;
    }

    public Set<String> names() {
        return tensors.keySet();
    }

    public Optional<Tensor> find(String name) {
        return Optional.ofNullable(tensors.get(name));
    }

    /** The named tensor; a missing one is a {@link ModelFormatException} naming it. */
    public Tensor require(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new ModelFormatException(directory + ": tensor '" + name + "' is missing from the checkpoint");
        }
        return t;
    }

    /** Bytes of tensor data over all files. */
    public long totalBytes() {
        long n = 0;
        for (Tensor t : tensors.values()) {
            n += t.data().byteSize();
        }
        return n;
    }

    @Override
    public void close() {
        arena.close();
    }

    @Override
    public String toString() {
        return "Weights[" + tensors.size() + " tensors in " + files.size() + " files of " + directory + "]";
    }
}
