package io.fairlane.gateway.batches;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Lines of a JSONL stream as bytes, each at most a given length: a longer line is reported as such and skipped
 * without being held, so a file that is one 200 MB line costs a buffer, not 200 MB. A trailing {@code \r} is
 * dropped (files written on Windows). Confined to one thread.
 */
final class LineReader {

    /** One line; {@code tooLong} lines carry no bytes. */
    record Line(byte[] bytes, boolean tooLong) {
        boolean isBlank() {
            for (byte b : bytes) {
                if (b != ' ' && b != '\t') {
                    return false;
                }
            }
            return !tooLong;
        }
    }

    private static final int BUFFER = 64 * 1024;

    private final InputStream in;
    private final int maxBytes;
    private final byte[] buf = new byte[BUFFER];
    private int pos;
    private int limit;
    private boolean eof;

    LineReader(InputStream in, int maxBytes) {
        this.in = in;
        this.maxBytes = maxBytes;
    }

    /** The next line, or null at the end (a final line without a newline counts). */
    Line next() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        boolean tooLong = false;
        boolean any = false;
        while (true) {
            if (pos == limit) {
                if (eof) {
                    return any ? finish(line, tooLong) : null;
                }
                int n = in.read(buf);
                if (n < 0) {
                    eof = true;
                    continue;
                }
                pos = 0;
                limit = n;
            }
            any = true;
            int start = pos;
            while (pos < limit && buf[pos] != '\n') {
                pos++;
            }
            if (!tooLong) {
                if (line.size() + (pos - start) > maxBytes + 1) {
                    tooLong = true;
                    line.reset();
                } else {
                    line.write(buf, start, pos - start);
                }
            }
            if (pos < limit) {
                pos++; // the newline
                return finish(line, tooLong);
            }
        }
    }

    private Line finish(ByteArrayOutputStream line, boolean tooLong) {
        if (tooLong) {
            return new Line(new byte[0], true);
        }
        byte[] bytes = line.toByteArray();
        int n = bytes.length;
        if (n > 0 && bytes[n - 1] == '\r') {
            n--;
        }
        if (n > maxBytes) {
            return new Line(new byte[0], true);
        }
        return new Line(n == bytes.length ? bytes : java.util.Arrays.copyOf(bytes, n), false);
    }
}
