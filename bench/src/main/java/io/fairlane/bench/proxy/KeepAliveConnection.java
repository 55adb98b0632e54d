package io.fairlane.bench.proxy;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;

/**
 * One HTTP/1.1 keep-alive connection of an open-loop load worker: connects on first use, sends a prepared request,
 * reads the whole answer, and reconnects next time when the server closed (or the exchange failed). Confined to
 * its worker thread.
 */
public final class KeepAliveConnection {

    private final URI uri;
    private Socket socket;
    private InputStream in;

    public KeepAliveConnection(URI uri) {
        this.uri = uri;
    }

    /** Sends {@code request} and reads its answer; on failure the connection is dropped and the error thrown. */
    public void exchange(byte[] request) throws IOException {
        try {
            if (socket == null) {
                socket = new Socket();
                socket.setTcpNoDelay(true);
                socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort()));
                in = new BufferedInputStream(socket.getInputStream(), 16384);
            }
            OutputStream out = socket.getOutputStream();
            out.write(request);
            out.flush();
            if (!FixedRate.readResponse(in)) {
                close();
            }
        } catch (IOException e) {
            close();
            throw e;
        }
    }

    private void close() {
        try {
            if (socket != null) {
                socket.close();
            }
        } catch (IOException ignored) {
            // closing a broken socket
        }
        socket = null;
    }
}
