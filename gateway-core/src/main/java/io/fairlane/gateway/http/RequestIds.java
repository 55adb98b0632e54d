package io.fairlane.gateway.http;

import io.netty.handler.codec.http.HttpHeaders;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Request ids: the client's {@code x-request-id} when it sent a sensible one (so its logs and ours join
 * up), else {@code req_} and 32 hex digits, the shape of OpenAI's ids.
 */
public final class RequestIds {

    private static final char[] HEX = "0123456789abcdef".toCharArray();
    private static final int MAX_CLIENT_ID = 128;

    private RequestIds() {
    }

    public static String fromHeaders(HttpHeaders headers) {
        String client = headers.get("x-request-id");
        if (client != null && isSensible(client)) {
            return client;
        }
        return generate("req_");
    }

    /** {@code prefix} followed by 32 random hex digits. */
    public static String generate(String prefix) {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        long a = r.nextLong();
        long b = r.nextLong();
        char[] out = new char[prefix.length() + 32];
        prefix.getChars(0, prefix.length(), out, 0);
        int p = prefix.length();
        for (int i = 60; i >= 0; i -= 4) {
            out[p++] = HEX[(int) (a >>> i) & 0xF];
        }
        for (int i = 60; i >= 0; i -= 4) {
            out[p++] = HEX[(int) (b >>> i) & 0xF];
        }
        return new String(out);
    }

    private static boolean isSensible(String s) {
        if (s.isEmpty() || s.length() > MAX_CLIENT_ID) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                return false;
            }
        }
        return true;
    }
}
