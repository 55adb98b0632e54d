package io.fairlane.engine.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsFileTest {

    private static final ExecutorService POOL = Executors.newFixedThreadPool(2);

    @TempDir
    Path dir;

    @AfterAll
    static void stop() {
        POOL.shutdownNow();
    }

    /** Writes a file with the given header JSON and {@code dataBytes} zero bytes of data. */
    private Path raw(String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Path f = dir.resolve("model.safetensors");
        Files.write(f, b.array());
        return f;
    }

    private Path written(DType dtype) throws IOException {
        Path f = dir.resolve("w.safetensors");
        SafetensorsWriter.write(f, List.of(
                new SafetensorsWriter.Spec("a", dtype, new long[] {3, 4}, (start, out, n) -> {
                    for (int i = 0; i < n; i++) {
                        out[i] = (start + i) * 0.5f - 2;
                    }
                }),
                new SafetensorsWriter.Spec("b", dtype, new long[] {5}, (start, out, n) -> {
                    for (int i = 0; i < n; i++) {
                        out[i] = 100 + start + i;
                    }
                })), POOL);
        return f;
    }

    @Test
    void open_writtenBf16File_readsBackEveryValue() throws IOException {
        Path f = written(DType.BF16);
        try (Arena arena = Arena.ofConfined()) {
            Tensor a = SafetensorsFile.open(f, arena).tensor("a").orElseThrow();
            assertThat(a.toFloatArray()).containsExactly(-2f, -1.5f, -1f, -0.5f, 0f, 0.5f, 1f, 1.5f, 2f, 2.5f, 3f, 3.5f);
        }
    }

    @Test
    void open_writtenF16File_readsBackEveryValue() throws IOException {
        Path f = written(DType.F16);
        try (Arena arena = Arena.ofConfined()) {
            Tensor b = SafetensorsFile.open(f, arena).tensor("b").orElseThrow();
            assertThat(b.toFloatArray()).containsExactly(100f, 101f, 102f, 103f, 104f);
        }
    }

    @Test
    void open_writtenF32File_keepsShapeAndDtype() throws IOException {
        Path f = written(DType.F32);
        try (Arena arena = Arena.ofConfined()) {
            Tensor a = SafetensorsFile.open(f, arena).tensor("a").orElseThrow();
            assertThat(a.shape()).containsExactly(3, 4);
        }
    }

    @Test
    void header_isPaddedToAMultipleOfEight() {
        byte[] h = SafetensorsWriter.header(List.of(new SafetensorsWriter.Spec("x", DType.F32, new long[] {1},
                (s, o, n) -> { })));
        assertThat(h.length % 8).isZero();
    }

    @Test
    void open_fileShorterThanLengthPrefix_isTruncatedError() throws IOException {
        Path f = dir.resolve("model.safetensors");
        Files.write(f, new byte[] {1, 2, 3});
        assertThatThrownBy(() -> SafetensorsFile.readEntries(f)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining(f.toString()).hasMessageContaining("truncated");
    }

    @Test
    void open_headerLengthPastEndOfFile_isTruncatedError() throws IOException {
        Path f = dir.resolve("model.safetensors");
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(1000).put("{}      ".getBytes(StandardCharsets.US_ASCII));
        Files.write(f, b.array());
        assertThatThrownBy(() -> SafetensorsFile.readEntries(f)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("truncated").hasMessageContaining("1000");
    }

    @Test
    void open_absurdHeaderLength_isRefusedBeforeAllocating() throws IOException {
        Path f = dir.resolve("model.safetensors");
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(Long.MAX_VALUE - 3).putLong(0);
        Files.write(f, b.array());
        assertThatThrownBy(() -> SafetensorsFile.readEntries(f)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("not a safetensors file");
    }

    @Test
    void open_headerNotJson_isRefused() throws IOException {
        Path f = raw("{\"a\": [", 0);
        assertThatThrownBy(() -> SafetensorsFile.readEntries(f)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("not valid JSON");
    }

    @Test
    void open_offsetsPastEndOfData_namesTheTensor() throws IOException {
        Path f = raw("{\"model.norm.weight\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8);
        assertThatThrownBy(() -> SafetensorsFile.readEntries(f)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("model.norm.weight").hasMessageContaining("truncated or corrupt");
    }

    @Test
    void open_byteCountDisagreesWithShape_namesTheTensor() throws IOException {
        Path f = raw("{\"w\":{\"dtype\":\"BF16\",\"shape\":[2,3],\"data_offsets\":[0,8]}}", 8);
        assertThatThrownBy(() -> SafetensorsFile.readEntries(f)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("'w'").hasMessageContaining("needs 12");
    }

    @Test
    void open_unsupportedDtype_namesTheTensorAndDtype() throws IOException {
        Path f = raw("{\"ids\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8);
        assertThatThrownBy(() -> SafetensorsFile.readEntries(f)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("'ids'").hasMessageContaining("I64");
    }

    @Test
    void open_overlappingTensors_isRefused() throws IOException {
        Path f = raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12);
        assertThatThrownBy(() -> SafetensorsFile.readEntries(f)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("overlaps");
    }

    @Test
    void open_negativeDimension_isRefused() throws IOException {
        Path f = raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,0]}}", 0);
        assertThatThrownBy(() -> SafetensorsFile.readEntries(f)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("invalid dimension");
    }

    @Test
    void open_metadataOnly_hasNoTensors() throws IOException {
        Path f = raw("{\"__metadata__\":{\"format\":\"pt\"}}", 0);
        assertThat(SafetensorsFile.readEntries(f)).isEmpty();
    }
}
