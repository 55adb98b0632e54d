package io.fairlane.gateway.files;

import io.fairlane.gateway.http.Blocking;
import io.fairlane.gateway.http.Exchange;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Semaphore;

/**
 * Streams a file's content to the client with backpressure: a virtual thread reads the blob a piece at a time and
 * hands each to the event loop, with at most {@value #WINDOW} pieces written and not yet taken by the socket. A slow
 * client therefore holds a reading thread (cheap) and a few pieces, never the file.
 *
 * <p>The blob store checks the content's SHA-256 when the last piece is read, so the last piece is held back until
 * that read succeeds: a damaged file ends in a closed connection, never in a response that looks complete.
 */
final class ContentSender {

    static final int PIECE = 64 * 1024;
    static final int WINDOW = 4;

    private ContentSender() {
    }

    /** Sends {@code file}'s content read from {@code in}; runs on a virtual thread and closes {@code in}. */
    static void send(Exchange exchange, FileObject file, InputStream in) {
        Semaphore window = new Semaphore(WINDOW);
        Blocking.answer(exchange, () -> {
            exchange.responseHeaders().set("content-disposition", disposition(file.filename()));
            exchange.startBody(HttpResponseStatus.OK, "application/octet-stream", file.bytes());
        });
        try (in) {
            byte[] held = null;
            while (exchange.channel().isActive()) {
                byte[] piece = in.readNBytes(PIECE);
                if (piece.length == 0) {
                    if (held != null) {
                        write(exchange, window, held);
                    }
                    Blocking.answer(exchange, exchange::endBody);
                    return;
                }
                if (held != null) {
                    write(exchange, window, held);
                }
                held = piece;
            }
        } catch (IOException e) {
            Blocking.answer(exchange, () -> exchange.fail(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            Blocking.answer(exchange, () -> exchange.abortConnection("interrupted while sending a file"));
        }
    }

    private static void write(Exchange exchange, Semaphore window, byte[] piece) throws InterruptedException {
        window.acquire();
        boolean queued = exchange.tryExecute(() -> {
            if (exchange.isDone()) {
                window.release();
                return;
            }
            ChannelFuture f = exchange.writeBody(Unpooled.wrappedBuffer(piece));
            f.addListener(done -> window.release());
        });
        if (!queued) {
            window.release();
        }
    }

    /** {@code attachment; filename="..."}, with a UTF-8 form for names outside ASCII (RFC 6266). */
    static String disposition(String filename) {
        StringBuilder ascii = new StringBuilder();
        boolean plain = true;
        for (char c : filename.toCharArray()) {
            if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
                ascii.append('_');
                plain = false;
            } else {
                ascii.append(c);
            }
        }
        String header = "attachment; filename=\"" + ascii + "\"";
        if (!plain) {
            StringBuilder encoded = new StringBuilder();
            for (byte b : filename.getBytes(StandardCharsets.UTF_8)) {
                int v = b & 0xFF;
                if (v >= 'a' && v <= 'z' || v >= 'A' && v <= 'Z' || v >= '0' && v <= '9' || "-._~".indexOf(v) >= 0) {
                    encoded.append((char) v);
                } else {
                    encoded.append('%').append(Character.toUpperCase(Character.forDigit(v >> 4, 16)))
                            .append(Character.toUpperCase(Character.forDigit(v & 0xF, 16)));
                }
            }
            header += "; filename*=UTF-8''" + encoded;
        }
        return header;
    }
}
