package io.fairlane.gateway.files;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A streaming reader of {@code multipart/form-data} (RFC 7578): parts are handed out one at a time, each body as a
 * stream that ends at the next boundary, so a part of any size passes through a fixed buffer. Netty's own decoder
 * either keeps parts in memory or copies them to temporary files first; here the file part goes straight to the
 * blob store as it arrives.
 *
 * <p>The body of a part must be read to its end (or {@linkplain Part#skip skipped}) before asking for the next.
 * Malformed input (no boundary where one must be, headers too long, the stream ending inside a part) is a
 * {@link Malformed} exception, which the API answers with a 400.
 *
 * <p>Confined to the one thread that reads the upload.
 */
final class MultipartReader {

    /** The multipart body is not well formed; the message says where. */
    static final class Malformed extends IOException {
        private static final long serialVersionUID = 1L;

        Malformed(String message) {
            super(message);
        }
    }

    /** One part: its form field name, file name (null for plain fields), content type, and body. */
    record Part(String name, String filename, String contentType, InputStream body) {
        /** Reads and drops the rest of the body. */
        void skip() throws IOException {
            body.transferTo(OutputStreamSink.INSTANCE);
        }
    }

    private static final int BUFFER = 64 * 1024;
    private static final int MAX_HEADER_BYTES = 16 * 1024;
    private static final int MAX_PARTS = 64;

    private final InputStream in;
    private final byte[] delimiter; // CRLF "--" boundary
    private final byte[] buf;
    private int pos;
    private int limit;
    private boolean eof;
    private boolean finished;
    private boolean inBody;
    private int parts;

    MultipartReader(InputStream in, String boundary) {
        this.in = in;
        this.delimiter = ("\r\n--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
        this.buf = new byte[BUFFER + delimiter.length];
        // The first boundary has no CRLF before it; pretend it had, so every boundary is found the same way.
        buf[0] = '\r';
        buf[1] = '\n';
        limit = 2;
    }

    /**
     * The boundary of a {@code Content-Type: multipart/form-data; boundary=...} header, or null when the header is
     * not multipart/form-data or names no usable boundary.
     */
    static String boundaryOf(String contentType) {
        if (contentType == null) {
            return null;
        }
        String[] pieces = contentType.split(";");
        if (!pieces[0].strip().equalsIgnoreCase("multipart/form-data")) {
            return null;
        }
        for (int i = 1; i < pieces.length; i++) {
            String p = pieces[i].strip();
            int eq = p.indexOf('=');
            if (eq > 0 && p.substring(0, eq).strip().equalsIgnoreCase("boundary")) {
                String b = p.substring(eq + 1).strip();
                if (b.length() >= 2 && b.startsWith("\"") && b.endsWith("\"")) {
                    b = b.substring(1, b.length() - 1);
                }
                return b.isEmpty() || b.length() > 70 ? null : b;
            }
        }
        return null;
    }

    /** The next part, or null after the closing boundary. */
    Part next() throws IOException {
        if (finished) {
            return null;
        }
        if (inBody) {
            throw new IllegalStateException("the previous part's body was not read to its end");
        }
        if (parts == 0) {
            skipToBoundary();
        }
        // After a delimiter: "--" closes the body, else optional whitespace and CRLF start a part's headers.
        if (!ensure(2)) {
            throw new Malformed("the multipart body ends right after a boundary");
        }
        if (buf[pos] == '-' && buf[pos + 1] == '-') {
            finished = true;
            return null;
        }
        String headerBlock = readHeaderBlock();
        if (++parts > MAX_PARTS) {
            throw new Malformed("more than " + MAX_PARTS + " parts");
        }
        Map<String, String> headers = parseHeaders(headerBlock);
        String disposition = headers.get("content-disposition");
        if (disposition == null) {
            throw new Malformed("a part has no Content-Disposition header");
        }
        Map<String, String> params = dispositionParams(disposition);
        String name = params.get("name");
        if (name == null) {
            throw new Malformed("a part's Content-Disposition has no name");
        }
        inBody = true;
        return new Part(name, params.get("filename"), headers.get("content-type"), new BodyStream());
    }

    /** Skips the preamble up to and including the first delimiter. */
    private void skipToBoundary() throws IOException {
        while (true) {
            int found = indexOfDelimiter();
            if (found >= 0) {
                pos = found + delimiter.length;
                return;
            }
            if (eof) {
                throw new Malformed("no boundary found: the body is not the multipart/form-data its Content-Type "
                        + "says");
            }
            pos = Math.max(pos, limit - delimiter.length + 1);
            fill();
        }
    }

    /** Reads the rest of the delimiter line and the part's header lines, up to the empty line. */
    private String readHeaderBlock() throws IOException {
        StringBuilder block = new StringBuilder();
        int crlfs = 0;
        boolean firstLine = true;
        while (true) {
            if (!ensure(1)) {
                throw new Malformed("the multipart body ends inside a part's headers");
            }
            byte b = buf[pos++];
            if (b == '\n') {
                if (firstLine) {
                    firstLine = false; // the end of the delimiter line
                    continue;
                }
                crlfs++;
                if (crlfs == 2 || block.isEmpty()) {
                    return block.toString();
                }
                block.append('\n');
                continue;
            }
            if (b == '\r') {
                continue;
            }
            if (firstLine) {
                if (b != ' ' && b != '\t') {
                    throw new Malformed("unexpected bytes after a boundary");
                }
                continue;
            }
            crlfs = 0;
            block.append((char) (b & 0xFF));
            if (block.length() > MAX_HEADER_BYTES) {
                throw new Malformed("a part's headers are longer than " + MAX_HEADER_BYTES + " bytes");
            }
        }
    }

    private static Map<String, String> parseHeaders(String block) {
        Map<String, String> headers = new LinkedHashMap<>();
        for (String line : block.split("\n")) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                // Header bytes are read as ISO-8859-1; browsers and SDKs send UTF-8 file names raw.
                String value = new String(line.substring(colon + 1).strip().getBytes(StandardCharsets.ISO_8859_1),
                        StandardCharsets.UTF_8);
                headers.put(line.substring(0, colon).strip().toLowerCase(Locale.ROOT), value);
            }
        }
        return headers;
    }

    /** The parameters of {@code form-data; name="x"; filename="y"}, quotes and backslash escapes undone. */
    static Map<String, String> dispositionParams(String disposition) {
        Map<String, String> params = new LinkedHashMap<>();
        int i = disposition.indexOf(';');
        while (i >= 0 && i < disposition.length()) {
            int eq = disposition.indexOf('=', i);
            if (eq < 0) {
                break;
            }
            String key = disposition.substring(i + 1, eq).strip().toLowerCase(Locale.ROOT);
            int j = eq + 1;
            while (j < disposition.length() && disposition.charAt(j) == ' ') {
                j++;
            }
            StringBuilder value = new StringBuilder();
            if (j < disposition.length() && disposition.charAt(j) == '"') {
                j++;
                while (j < disposition.length() && disposition.charAt(j) != '"') {
                    char c = disposition.charAt(j);
                    if (c == '\\' && j + 1 < disposition.length()) {
                        c = disposition.charAt(++j);
                    }
                    value.append(c);
                    j++;
                }
                j++;
            } else {
                while (j < disposition.length() && disposition.charAt(j) != ';') {
                    value.append(disposition.charAt(j++));
                }
            }
            params.putIfAbsent(key, value.toString().strip());
            i = disposition.indexOf(';', j);
        }
        return params;
    }

    /** The index of the next delimiter in the buffered bytes, or -1. */
    private int indexOfDelimiter() {
        byte first = delimiter[0];
        int last = limit - delimiter.length;
        for (int i = pos; i <= last; i++) {
            if (buf[i] == first && Arrays.equals(buf, i, i + delimiter.length, delimiter, 0, delimiter.length)) {
                return i;
            }
        }
        return -1;
    }

    /** Makes at least {@code n} bytes available from {@code pos}; false at the end of the input. */
    private boolean ensure(int n) throws IOException {
        while (limit - pos < n) {
            if (eof) {
                return false;
            }
            fill();
        }
        return true;
    }

    /** Moves the unread bytes to the front and reads more after them. */
    private void fill() throws IOException {
        if (pos > 0) {
            System.arraycopy(buf, pos, buf, 0, limit - pos);
            limit -= pos;
            pos = 0;
        }
        int n = in.read(buf, limit, buf.length - limit);
        if (n < 0) {
            eof = true;
        } else {
            limit += n;
        }
    }

    /** The body of the current part: bytes up to the next delimiter. */
    private final class BodyStream extends InputStream {
        private boolean ended;

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (ended) {
                return -1;
            }
            while (true) {
                int found = indexOfDelimiter();
                int safe = found >= 0 ? found : limit - delimiter.length + 1;
                if (safe > pos) {
                    int n = Math.min(len, safe - pos);
                    System.arraycopy(buf, pos, b, off, n);
                    pos += n;
                    return n;
                }
                if (found == pos) {
                    pos += delimiter.length;
                    ended = true;
                    inBody = false;
                    return -1;
                }
                if (eof) {
                    throw new Malformed("the multipart body ends inside a part (no closing boundary)");
                }
                fill();
            }
        }
    }

    /** Where skipped bytes go. */
    private static final class OutputStreamSink extends java.io.OutputStream {
        static final OutputStreamSink INSTANCE = new OutputStreamSink();

        @Override
        public void write(int b) {
        }

        @Override
        public void write(byte[] b, int off, int len) {
        }
    }
}
