package dev.consulvmagent.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * Test helper run inside network namespaces: {@code listen PORT NAME} answers every connection with
 * NAME; {@code connect HOST PORT} prints what the listener answered (or "refused").
 */
public final class TcpProbe {
  private TcpProbe() {}

  public static void main(String[] args) throws Exception {
    if (args[0].equals("listen")) {
      try (ServerSocket s = new ServerSocket()) {
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress("0.0.0.0", Integer.parseInt(args[1])));
        System.out.println("listening");
        System.out.flush();
        long end = System.currentTimeMillis() + 120_000; // stops by itself
        s.setSoTimeout(1000);
        while (System.currentTimeMillis() < end) {
          try (Socket c = s.accept();
              OutputStream out = c.getOutputStream()) {
            out.write(args[2].getBytes(StandardCharsets.UTF_8));
          } catch (SocketTimeoutException ignored) {
            // poll the deadline
          }
        }
      }
    } else {
      try (Socket c = new Socket()) {
        c.connect(new InetSocketAddress(args[1], Integer.parseInt(args[2])), 3000);
        c.setSoTimeout(3000);
        InputStream in = c.getInputStream();
        System.out.print(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      } catch (IOException e) {
        System.out.print("refused");
      }
    }
  }
}
