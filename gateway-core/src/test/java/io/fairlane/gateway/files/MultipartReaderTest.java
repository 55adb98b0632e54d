package io.fairlane.gateway.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The streaming multipart reader, fed in pieces cut at random places. */
class MultipartReaderTest {

    private static final String B = "XyZ-boundary";

    /** Hands out {@code bytes} in reads of random length (1..max), as a socket does. */
    private static InputStream chopped(byte[] bytes, long seed, int max) {
        Random random = new Random(seed);
        return new InputStream() {
            int pos;

            @Override
            public int read() {
                return pos < bytes.length ? bytes[pos++] & 0xFF : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (pos == bytes.length) {
                    return -1;
                }
                int n = Math.min(Math.min(len, 1 + random.nextInt(max)), bytes.length - pos);
                System.arraycopy(bytes, pos, b, off, n);
                pos += n;
                return n;
            }
        };
    }

    private static byte[] body(byte[] file) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(("preamble to ignore\r\n--" + B + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\n"
                + "batch\r\n--" + B + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"in\\\"put.jsonl\"\r\n"
                + "Content-Type: application/jsonl\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.writeBytes(file);
        out.writeBytes(("\r\n--" + B + "--\r\nepilogue").getBytes(StandardCharsets.ISO_8859_1));
        return out.toByteArray();
    }

    private record Read(String name, String filename, byte[] content) {
    }

    private static List<Read> readAll(InputStream in) throws IOException {
        MultipartReader reader = new MultipartReader(in, B);
        List<Read> parts = new ArrayList<>();
        for (MultipartReader.Part p = reader.next(); p != null; p = reader.next()) {
            parts.add(new Read(p.name(), p.filename(), p.body().readAllBytes()));
        }
        return parts;
    }

    @Test
    void next_choppedAtRandom_yieldsEveryPartWhole() throws Exception {
        byte[] file = new byte[200_000];
        Random r = new Random(7);
        r.nextBytes(file);
        // Bytes that look like the start of a boundary, inside the file.
        byte[] nearMiss = ("\r\n--" + B.substring(0, 5)).getBytes(StandardCharsets.ISO_8859_1);
        System.arraycopy(nearMiss, 0, file, 1000, nearMiss.length);
        for (long seed = 0; seed < 20; seed++) {
            List<Read> parts = readAll(chopped(body(file), seed, 1 + (int) (seed * 997 % 70_000)));
            assertThat(parts).hasSize(2);
            assertThat(new String(parts.get(0).content(), StandardCharsets.UTF_8)).isEqualTo("batch");
            assertThat(parts.get(1).name()).isEqualTo("file");
            assertThat(parts.get(1).filename()).isEqualTo("in\"put.jsonl");
            assertThat(parts.get(1).content()).isEqualTo(file);
        }
    }

    @Test
    void next_emptyFile_yieldsAnEmptyPart() throws Exception {
        assertThat(readAll(chopped(body(new byte[0]), 1, 3)).get(1).content()).isEmpty();
    }

    @Test
    void next_noClosingBoundary_isMalformed() {
        byte[] cut = ("--" + B + "\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc")
                .getBytes(StandardCharsets.ISO_8859_1);
        assertThatThrownBy(() -> readAll(chopped(cut, 1, 2))).isInstanceOf(MultipartReader.Malformed.class)
                .hasMessageContaining("no closing boundary");
    }

    @Test
    void next_noBoundaryAtAll_isMalformed() {
        assertThatThrownBy(() -> readAll(chopped("{\"json\": true}".getBytes(StandardCharsets.UTF_8), 1, 4)))
                .isInstanceOf(MultipartReader.Malformed.class).hasMessageContaining("no boundary");
    }

    @Test
    void next_partWithoutName_isMalformed() {
        byte[] body = ("--" + B + "\r\nContent-Disposition: form-data\r\n\r\nx\r\n--" + B + "--\r\n")
                .getBytes(StandardCharsets.ISO_8859_1);
        assertThatThrownBy(() -> readAll(chopped(body, 1, 5))).isInstanceOf(MultipartReader.Malformed.class)
                .hasMessageContaining("no name");
    }

    @Test
    void boundaryOf_quotedAndPlain_areRead() {
        assertThat(MultipartReader.boundaryOf("multipart/form-data; boundary=\"abc def\"")).isEqualTo("abc def");
        assertThat(MultipartReader.boundaryOf("Multipart/Form-Data;boundary=xyz; charset=utf-8")).isEqualTo("xyz");
        assertThat(MultipartReader.boundaryOf("application/json")).isNull();
        assertThat(MultipartReader.boundaryOf("multipart/form-data")).isNull();
    }

    @Test
    void filename_withPathsAndControls_isCleaned() {
        assertThat(Upload.filename("C:\\Users\\me\\data.jsonl")).isEqualTo("data.jsonl");
        assertThat(Upload.filename("../../etc/passwd")).isEqualTo("passwd");
        assertThat(Upload.filename("a\u0000b\nc")).isEqualTo("abc");
        assertThat(Upload.filename("")).isEqualTo("file");
    }
}
