package io.fairlane.gateway.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A fault-injecting upstream on raw sockets: each request is answered by the next queued {@link Script}, or by the
 * standing one, byte by byte as the script says, so that a test can inject exactly the failure it is about: a status
 * with or without {@code retry-after}, a reset before the head, an accepted connection that never answers, a head
 * and then silence, a slow first event, a stream cut, stalled, malformed or ended without {@code [DONE]}, keep-alive
 * comments only, an endless stream, a large or slow JSON body, a JSON answer to a stream request. Every answer closes
 * its connection ({@code connection: close}), so every request is a new connection.
 *
 * <p>Thread-safe: one virtual thread per connection; the script queue and the request log are synchronised.
 */
public final class FaultyUpstream implements AutoCloseable {

    /** How one request is answered. */
    @FunctionalInterface
    public interface Script {
        void answer(Socket socket, OutputStream out, String body) throws Exception;
    }

    private static final Pattern CONTENT_LENGTH = Pattern.compile("content-length:\\s*(\\d+)");

    private final ServerSocket server;
    private final Deque<Script> queued = new ArrayDeque<>();
    private final List<String> bodies = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger connectionsClosedEarly = new AtomicInteger();
    private volatile Script standing;

    public FaultyUpstream() throws IOException {
        this(ok());
    }

    public FaultyUpstream(Script standing) throws IOException {
        this.standing = standing;
        server = new ServerSocket(0, 100, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().name("faulty-upstream").start(this::acceptLoop);
    }

    public int port() {
        return server.getLocalPort();
    }

    public String url() {
        return "http://127.0.0.1:" + port() + "/v1";
    }

    /** Answers every request from now on with {@code script} (after the queued ones). */
    public FaultyUpstream always(Script script) {
        standing = script;
        return this;
    }

    /** Answers the next requests with {@code scripts}, in order, then goes back to the standing script. */
    public synchronized FaultyUpstream then(Script... scripts) {
        queued.addAll(List.of(scripts));
        return this;
    }

    /** Requests received so far. */
    public int requests() {
        return bodies.size();
    }

    /** The request bodies received so far, in order. */
    public List<String> bodies() {
        synchronized (bodies) {
            return List.copyOf(bodies);
        }
    }

    /** Streams whose connection the gateway closed before the script finished writing. */
    public int closedEarly() {
        return connectionsClosedEarly.get();
    }

    private synchronized Script next() {
        Script s = queued.poll();
        return s != null ? s : standing;
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
            s.setTcpNoDelay(true);
            String body = readRequest(s.getInputStream());
            bodies.add(body);
            next().answer(s, s.getOutputStream(), body);
            s.getOutputStream().flush();
        } catch (IOException e) {
            connectionsClosedEarly.incrementAndGet();
        } catch (Exception e) {
            // the script was interrupted; the connection closes
        }
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
        Matcher cl = CONTENT_LENGTH.matcher(head.toString(StandardCharsets.US_ASCII).toLowerCase(Locale.ROOT));
        int length = cl.find() ? Integer.parseInt(cl.group(1)) : 0;
        return new String(in.readNBytes(length), StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws IOException {
        server.close();
    }

    // ---- the building blocks of scripts ----

    /** A chat completion with usage {9, 2}, model {@code upstream-name}. */
    public static final String COMPLETION = """
            {"id":"chatcmpl-f","object":"chat.completion","created":1,"model":"upstream-name",\
            "choices":[{"index":0,"message":{"role":"assistant","content":"Hi there"},"finish_reason":"stop"}],\
            "usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}}""";

    /** One stream chunk carrying {@code content}. */
    public static String chunk(String content) {
        return "data: {\"id\":\"chatcmpl-f\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"upstream-name\","
                + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + content + "\"},\"finish_reason\":null}]}\n\n";
    }

    /** The chunk that finishes choice 0. */
    public static final String FINISH = "data: {\"id\":\"chatcmpl-f\",\"object\":\"chat.completion.chunk\",\"created\":1,"
            + "\"model\":\"upstream-name\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n";

    /** The usage chunk: {9, 2}. */
    public static final String USAGE = "data: {\"id\":\"chatcmpl-f\",\"object\":\"chat.completion.chunk\",\"created\":1,"
            + "\"model\":\"upstream-name\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":2,"
            + "\"total_tokens\":11}}\n\n";

    public static final String DONE = "data: [DONE]\n\n";

    public static void head(OutputStream out, int status, String contentType, String... headers) throws IOException {
        StringBuilder sb = new StringBuilder("HTTP/1.1 ").append(status).append(" X\r\ncontent-type: ")
                .append(contentType).append("\r\nconnection: close\r\n");
        for (String h : headers) {
            sb.append(h).append("\r\n");
        }
        out.write(sb.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    public static void streamHead(OutputStream out) throws IOException {
        head(out, 200, "text/event-stream", "transfer-encoding: chunked");
    }

    /** One HTTP chunk holding {@code data}, flushed. */
    public static void httpChunk(OutputStream out, String data) throws IOException {
        httpChunk(out, data.getBytes(StandardCharsets.UTF_8));
    }

    public static void httpChunk(OutputStream out, byte[] b) throws IOException {
        out.write((Integer.toHexString(b.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(b);
        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    public static void endChunks(OutputStream out) throws IOException {
        out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    public static void json(OutputStream out, int status, String body, String... headers) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        String[] all = new String[headers.length + 1];
        System.arraycopy(headers, 0, all, 0, headers.length);
        all[headers.length] = "content-length: " + b.length;
        head(out, status, "application/json", all);
        out.write(b);
        out.flush();
    }

    public static void reset(Socket s) throws IOException {
        s.setSoLinger(true, 0);
        s.close();
    }

    // ---- ready-made scripts ----

    /** A chat completion (JSON) or, when the request asks for a stream, a complete stream with usage. */
    public static Script ok() {
        return (s, out, body) -> {
            if (body.contains("\"stream\":true")) {
                streamHead(out);
                httpChunk(out, chunk("Hi") + chunk(" there") + FINISH + USAGE + DONE);
                endChunks(out);
            } else {
                json(out, 200, COMPLETION);
            }
        };
    }

    /** An error answer in OpenAI's shape, with extra headers such as {@code retry-after: 1}. */
    public static Script status(int status, String code, String message, String... headers) {
        return (s, out, body) -> json(out, status, "{\"error\":{\"message\":\"" + message + "\",\"type\":\""
                + (status >= 500 ? "server_error" : "invalid_request_error") + "\",\"param\":null,\"code\":"
                + (code == null ? "null" : "\"" + code + "\"") + "}}", headers);
    }

    public static Script resetBeforeHead() {
        return (s, out, body) -> reset(s);
    }

    /** Accepts, reads the request, and never answers (until the gateway gives up). */
    public static Script silent() {
        return (s, out, body) -> {
            while (s.getInputStream().read() >= 0) {
                // wait for the gateway to close
            }
        };
    }

    /** Sends a 200 event-stream head, then nothing. */
    public static Script headThenStall() {
        return (s, out, body) -> {
            streamHead(out);
            while (s.getInputStream().read() >= 0) {
                // wait for the gateway to close
            }
        };
    }

    /** Waits {@code millis} before answering as {@link #ok()} does. */
    public static Script slow(long millis) {
        return (s, out, body) -> {
            Thread.sleep(millis);
            ok().answer(s, out, body);
        };
    }

    /** Two content chunks, then {@code end}. */
    public static Script twoChunksThen(Script end) {
        return (s, out, body) -> {
            streamHead(out);
            httpChunk(out, chunk("Hel") + chunk("lo"));
            Thread.sleep(30);
            end.answer(s, out, body);
        };
    }

    /** Silence until the gateway closes. */
    public static Script stall() {
        return silent();
    }

    public static Script resetNow() {
        return (s, out, body) -> reset(s);
    }

    /** An event whose data is not JSON, as the chunked body's next piece. */
    public static Script malformedEvent() {
        return (s, out, body) -> {
            httpChunk(out, "data: {\"id\":\"chatcmpl-f\",\"choices\":[{\"delta\":{\"content\":\"bro\n\n");
            endChunks(out);
        };
    }

    /** A clean end of the chunked body, with nothing more. */
    public static Script cleanEnd() {
        return (s, out, body) -> endChunks(out);
    }

    /** Keep-alive comment lines every {@code millis}, forever. */
    public static Script commentsEvery(long millis) {
        return (s, out, body) -> {
            for (int i = 0; i < 10_000; i++) {
                httpChunk(out, ":\n");
                Thread.sleep(millis);
            }
        };
    }

    /** A stream head, then content chunks of {@code size} characters every {@code millis}, for as long as read. */
    public static Script endless(int size, long millis) {
        String text = "x".repeat(size);
        return (s, out, body) -> {
            streamHead(out);
            byte[] c = chunk(text).getBytes(StandardCharsets.UTF_8);
            for (int i = 0; i < 1_000_000; i++) {
                httpChunk(out, c);
                if (millis > 0) {
                    Thread.sleep(millis);
                }
            }
        };
    }
}
