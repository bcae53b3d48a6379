package dev.consulvmagent.host;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;

/**
 * One UDP DNS A query (RFC 1035 §4) to a given server: the socket side of consul.ConsulDns, here
 * because only host opens sockets.
 */
public final class DnsQuery {
  private static final SecureRandom RANDOM = new SecureRandom();

  private DnsQuery() {}

  /** The first A record for name from server, or an IOException saying why not. */
  public static String a(InetSocketAddress server, String name, Duration timeout)
      throws IOException {
    InputLog.effect("dns " + name);
    return query(server, name, timeout);
  }

  private static String query(InetSocketAddress server, String name, Duration timeout)
      throws IOException {
    int id = RANDOM.nextInt(1 << 16);
    byte[] q = question(id, name);
    try (DatagramSocket s = new DatagramSocket()) {
      s.setSoTimeout((int) timeout.toMillis());
      s.send(new DatagramPacket(q, q.length, server));
      byte[] buf = new byte[1500];
      DatagramPacket p = new DatagramPacket(buf, buf.length);
      long end = System.nanoTime() + timeout.toNanos();
      while (true) {
        try {
          s.receive(p);
        } catch (SocketTimeoutException e) {
          throw new IOException(
              "no answer from "
                  + server.getHostString()
                  + ":"
                  + server.getPort()
                  + " within "
                  + timeout.toMillis()
                  + " ms");
        }
        ByteBuffer b = ByteBuffer.wrap(buf, 0, p.getLength());
        if (p.getLength() >= 12 && (b.getShort(0) & 0xffff) == id) return firstA(b, name);
        if (System.nanoTime() > end) throw new IOException("no matching answer from " + server);
      }
    }
  }

  private static byte[] question(int id, String name) {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    o.write(id >> 8);
    o.write(id);
    o.write(0x01); // RD
    o.write(0x00);
    o.writeBytes(new byte[] {0, 1, 0, 0, 0, 0, 0, 0}); // QDCOUNT 1
    for (String label : name.split("\\.")) {
      byte[] l = label.getBytes(StandardCharsets.US_ASCII);
      o.write(l.length);
      o.writeBytes(l);
    }
    o.writeBytes(new byte[] {0, 0, 1, 0, 1}); // root, QTYPE A, QCLASS IN
    return o.toByteArray();
  }

  private static String firstA(ByteBuffer b, String name) throws IOException {
    int rcode = b.get(3) & 0x0f;
    if (rcode == 3) throw new IOException(name + ": no such name (NXDOMAIN)");
    if (rcode != 0) throw new IOException(name + ": DNS error code " + rcode);
    int qd = b.getShort(4) & 0xffff;
    int an = b.getShort(6) & 0xffff;
    int pos = 12;
    for (int i = 0; i < qd; i++) pos = skipName(b, pos) + 4;
    for (int i = 0; i < an; i++) {
      pos = skipName(b, pos);
      int type = b.getShort(pos) & 0xffff;
      int len = b.getShort(pos + 8) & 0xffff;
      pos += 10;
      if (type == 1 && len == 4) {
        return (b.get(pos) & 0xff)
            + "."
            + (b.get(pos + 1) & 0xff)
            + "."
            + (b.get(pos + 2) & 0xff)
            + "."
            + (b.get(pos + 3) & 0xff);
      }
      pos += len;
    }
    throw new IOException(name + ": no address in the answer");
  }

  private static int skipName(ByteBuffer b, int pos) throws IOException {
    while (true) {
      if (pos >= b.limit()) throw new IOException("truncated DNS answer");
      int len = b.get(pos) & 0xff;
      if ((len & 0xc0) == 0xc0) return pos + 2;
      if (len == 0) return pos + 1;
      pos += 1 + len;
    }
  }
}
