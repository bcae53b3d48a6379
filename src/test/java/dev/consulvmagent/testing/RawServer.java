package dev.consulvmagent.testing;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A tiny HTTP server for what WireMock cannot do: the first response declares the full length but
 * stops half-way (a truncated body); later requests honour Range with 206.
 */
public final class RawServer implements AutoCloseable {
  private final HttpServer server;
  public final List<String> ranges = new CopyOnWriteArrayList<>();

  public RawServer(String path, byte[] body) throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        path,
        ex -> {
          String range = ex.getRequestHeaders().getFirst("Range");
          ranges.add(range == null ? "none" : range);
          if (range == null) {
            ex.sendResponseHeaders(200, body.length);
            OutputStream out = ex.getResponseBody();
            out.write(body, 0, body.length / 2);
            out.flush();
            ex.getHttpContext().getServer(); // keep the reference
            ex.close(); // fewer bytes than declared: the client sees a truncated body
            return;
          }
          int from = Integer.parseInt(range.replace("bytes=", "").replace("-", ""));
          ex.getResponseHeaders()
              .add("Content-Range", "bytes " + from + "-" + (body.length - 1) + "/" + body.length);
          ex.sendResponseHeaders(206, body.length - from);
          try (OutputStream out = ex.getResponseBody()) {
            out.write(body, from, body.length - from);
          }
        });
    server.start();
  }

  public String url(String path) {
    return "http://127.0.0.1:" + server.getAddress().getPort() + path;
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
