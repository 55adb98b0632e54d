package io.fairlane.engine.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One safetensors file, memory-mapped. The layout is an 8-byte little-endian header length N, N bytes of JSON
 * ({@code {"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}}), then the data
 * region; offsets are relative to the data region.
 *
 * <p>The header is checked whole before the file is mapped: its length against the file and a sane cap, the JSON,
 * every tensor's dtype, shape and offsets (inside the data region, the byte count equal to elements × element
 * size, no two tensors overlapping). A corrupt or truncated file therefore fails here, with the file and the
 * tensor named, instead of as a fault deep in a matmul.
 */
final class SafetensorsFile {

    /** The reference implementation refuses headers over 100 MB; so do we. */
    static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A tensor's place in the file, as the header gives it. */
    record Entry(String name, DType dtype, long[] shape, long begin, long end) {
        Entry {
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }
    }

    private final Path file;
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;
    private final long dataStart;
    private final MemorySegment mapping;

    private SafetensorsFile(Path file, Map<String, Entry> entries, Map<String, String> metadata, long dataStart,
                            MemorySegment mapping) {
        this.file = file;
        this.entries = entries;
        this.metadata = metadata;
        this.dataStart = dataStart;
        this.mapping = mapping;
    }

    /**
     * Checks the header of {@code file} and maps it read-only into {@code arena}.
     *
     * @throws ModelFormatException when the file is unreadable, truncated or its header is invalid
     */
    static SafetensorsFile open(Path file, Arena arena) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            Header header = readHeader(file, ch, size);
            MemorySegment mapping = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            return new SafetensorsFile(file, header.entries, header.metadata, header.dataStart, mapping);
        } catch (IOException e) {
            throw new ModelFormatException(file + ": cannot read safetensors file: " + e.getMessage(), e);
        }
    }

    /** Reads and checks the header only (no mapping). */
    static Map<String, Entry> readEntries(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return readHeader(file, ch, ch.size()).entries;
        } catch (IOException e) {
            throw new ModelFormatException(file + ": cannot read safetensors file: " + e.getMessage(), e);
        }
    }

    private record Header(Map<String, Entry> entries, Map<String, String> metadata, long dataStart) {
    }

    private static Header readHeader(Path file, FileChannel ch, long size) throws IOException {
        if (size < 8) {
            throw new ModelFormatException(file + ": truncated safetensors file: " + size
                    + " bytes, shorter than the 8-byte header length");
        }
        ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, lenBuf, 0);
        long headerLen = lenBuf.getLong(0);
        if (headerLen < 2 || headerLen > MAX_HEADER_BYTES) {
            throw new ModelFormatException(file + ": not a safetensors file: header length " + Long.toUnsignedString(
                    headerLen) + " is outside [2, " + MAX_HEADER_BYTES + "]");
        }
        if (headerLen > size - 8) {
            throw new ModelFormatException(file + ": truncated safetensors file: header of " + headerLen
                    + " bytes but the file has only " + (size - 8) + " after the length");
        }
        ByteBuffer hdr = ByteBuffer.allocate((int) headerLen);
        readFully(ch, hdr, 8);
        String json = new String(hdr.array(), StandardCharsets.UTF_8);
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new ModelFormatException(file + ": safetensors header is not valid JSON: "
                    + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new ModelFormatException(file + ": safetensors header is not a JSON object");
        }
        long dataStart = 8 + headerLen;
        long dataSize = size - dataStart;
        Map<String, Entry> entries = new LinkedHashMap<>();
        Map<String, String> metadata = Map.of();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.properties().iterator(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            JsonNode node = e.getValue();
            if (name.equals("__metadata__")) {
                metadata = parseMetadata(file, node);
                continue;
            }
            entries.put(name, parseEntry(file, name, node, dataSize));
        }
        checkNoOverlap(file, entries);
        return new Header(Collections.unmodifiableMap(entries), metadata, dataStart);
    }

    private static Map<String, String> parseMetadata(Path file, JsonNode node) {
        if (!node.isObject()) {
            throw new ModelFormatException(file + ": __metadata__ must be an object of strings");
        }
        Map<String, String> m = new LinkedHashMap<>();
        node.properties().forEach(p -> m.put(p.getKey(), p.getValue().asText()));
        return Collections.unmodifiableMap(m);
    }

    private static Entry parseEntry(Path file, String name, JsonNode node, long dataSize) {
        String where = file + ": tensor '" + name + "'";
        if (!node.isObject()) {
            throw new ModelFormatException(where + ": header entry is not an object");
        }
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw new ModelFormatException(where + ": missing dtype");
        }
        DType dtype = DType.fromSafetensors(dtypeNode.asText()).orElseThrow(() -> new ModelFormatException(
                where + ": dtype " + dtypeNode.asText() + " is not supported (Fairlane loads BF16, F16 and F32)"));
        JsonNode shapeNode = node.get("shape");
        if (shapeNode == null || !shapeNode.isArray()) {
            throw new ModelFormatException(where + ": missing shape");
        }
        long[] shape = new long[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.canConvertToExactIntegral() || !d.canConvertToLong() || d.asLong() < 0) {
                throw new ModelFormatException(where + ": shape " + shapeNode + " has an invalid dimension");
            }
            shape[i] = d.asLong();
        }
        JsonNode off = node.get("data_offsets");
        if (off == null || !off.isArray() || off.size() != 2 || !off.get(0).canConvertToLong()
                || !off.get(1).canConvertToLong() || !off.get(0).isIntegralNumber() || !off.get(1).isIntegralNumber()) {
            throw new ModelFormatException(where + ": data_offsets must be two integers");
        }
        long begin = off.get(0).asLong();
        long end = off.get(1).asLong();
        if (begin < 0 || end < begin) {
            throw new ModelFormatException(where + ": data_offsets [" + begin + ", " + end + "] are invalid");
        }
        if (end > dataSize) {
            throw new ModelFormatException(where + ": data_offsets [" + begin + ", " + end
                    + "] run past the end of the data (" + dataSize + " bytes): the file is truncated or corrupt");
        }
        long expected;
        try {
            expected = Math.multiplyExact(Tensor.elementCount(shape), dtype.bytes());
        } catch (ArithmeticException overflow) {
            throw new ModelFormatException(where + ": shape " + Arrays.toString(shape) + " is too large");
        }
        if (end - begin != expected) {
            throw new ModelFormatException(where + ": " + (end - begin) + " bytes for shape " + Arrays.toString(shape)
                    + " " + dtype + ", which needs " + expected);
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    private static void checkNoOverlap(Path file, Map<String, Entry> entries) {
        List<Entry> sorted = new ArrayList<>(entries.values());
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        for (int i = 1; i < sorted.size(); i++) {
            Entry prev = sorted.get(i - 1);
            Entry cur = sorted.get(i);
            if (cur.begin() < prev.end() && cur.end() > cur.begin()) {
                throw new ModelFormatException(file + ": tensor '" + cur.name() + "' overlaps tensor '" + prev.name()
                        + "' in the data region");
            }
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos);
            if (n < 0) {
                throw new IOException("unexpected end of file");
            }
            pos += n;
        }
    }

    Path file() {
        return file;
    }

    Map<String, Entry> entries() {
        return entries;
    }

    Map<String, String> metadata() {
        return metadata;
    }

    Optional<Tensor> tensor(String name) {
        Entry e = entries.get(name);
        if (e == null) {
            return Optional.empty();
        }
        MemorySegment data = mapping.asSlice(dataStart + e.begin(), e.end() - e.begin());
        return Optional.of(new Tensor(name, e.dtype(), e.shape(), data, file));
    }
}
