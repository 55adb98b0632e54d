package io.fairlane.gateway.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A raw-socket upstream for the failures WireMock cannot script byte by byte. The request body's
 * {@code user} field picks the behaviour:
 * <ul>
 *   <li>{@code reset-mid-stream}: a 200 event stream with two chunks, then a TCP reset;</li>
 *   <li>{@code reset-before-head}: reads the request, then resets;</li>
 *   <li>{@code slow-stream}: a chunk every 20 ms, 1000 of them (counts connections the gateway closes early);</li>
 *   <li>{@code hang}: never answers.</li>
 * </ul>
 */
public final class ScriptedUpstream implements AutoCloseable {

    private static final Pattern USER = Pattern.compile("\"user\"\\s*:\\s*\"([^\"]*)\"");
    private static final String CHUNK = "{\"id\":\"chatcmpl-raw\",\"object\":\"chat.completion.chunk\",\"created\":1,"
            + "\"model\":\"raw\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"},\"logprobs\":null,"
            + "\"finish_reason\":null}]}";

    private final ServerSocket server;
    private final AtomicInteger closedEarly = new AtomicInteger();
    private final AtomicInteger requests = new AtomicInteger();
    private volatile String lastBody = "";

    public ScriptedUpstream() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().name("scripted-upstream").start(this::acceptLoop);
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Connections of {@code slow-stream} that the gateway closed before the stream ended. */
    public int closedEarly() {
        return closedEarly.get();
    }

    public int requests() {
        return requests.get();
    }

    /** The body of the request read last. */
    public String lastBody() {
        return lastBody;
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                Thread.ofVirtual().start(() -> serve(s));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s) {
        try (s) {
            String body = readRequest(s.getInputStream());
            lastBody = body;
            requests.incrementAndGet();
            Matcher m = USER.matcher(body);
            String script = m.find() ? m.group(1) : "";
            OutputStream out = s.getOutputStream();
            switch (script) {
                case "reset-before-head" -> reset(s);
                case "reset-mid-stream" -> {
                    streamHead(out);
                    chunk(out, "data: " + CHUNK + "\n\n");
                    chunk(out, "data: " + CHUNK + "\n\n");
                    out.flush();
                    Thread.sleep(50);
                    reset(s);
                }
                case "slow-stream" -> {
                    streamHead(out);
                    try {
                        for (int i = 0; i < 1000; i++) {
                            chunk(out, "data: " + CHUNK + "\n\n");
                            out.flush();
                            Thread.sleep(20);
                        }
                    } catch (IOException e) {
                        closedEarly.incrementAndGet();
                    }
                }
                case "hang" -> Thread.sleep(60_000);
                default -> {
                    byte[] b = "{\"error\":{\"message\":\"no script\",\"type\":\"invalid_request_error\"}}"
                            .getBytes(StandardCharsets.UTF_8);
                    out.write(("HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: "
                            + b.length + "\r\nconnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.write(b);
                }
            }
        } catch (IOException | InterruptedException e) {
            // the gateway went away; nothing to do
        }
    }

    private static void streamHead(OutputStream out) throws IOException {
        out.write(("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n"
                + "connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    }

    private static void chunk(OutputStream out, String data) throws IOException {
        byte[] b = data.getBytes(StandardCharsets.UTF_8);
        out.write((Integer.toHexString(b.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(b);
        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
    }

    private static void reset(Socket s) throws IOException {
        s.setSoLinger(true, 0);
        s.close();
    }

    private static String readRequest(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed");
            }
            head.write(b);
            state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3)) ? state + 1
                    : (b == '\r' ? 1 : 0);
        }
        String headers = head.toString(StandardCharsets.US_ASCII).toLowerCase(Locale.ROOT);
        Matcher cl = Pattern.compile("content-length:\\s*(\\d+)").matcher(headers);
        int length = cl.find() ? Integer.parseInt(cl.group(1)) : 0;
        return new String(in.readNBytes(length), StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
