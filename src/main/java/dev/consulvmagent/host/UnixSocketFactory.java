package dev.consulvmagent.host;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import javax.net.SocketFactory;

/**
 * Sockets to one Unix domain socket, for an HTTP client whose requests name a placeholder host:
 * Consul's {@code CONSUL_HTTP_ADDR=unix:///path} (hashicorp/consul api/api.go NewClient dials
 * "unix" for that scheme). JDK 16+ has Unix-domain SocketChannels but no Socket for them, so this
 * adapts a channel to the Socket okhttp expects; the address okhttp connects to is ignored.
 */
final class UnixSocketFactory extends SocketFactory {
  private final Path path;

  UnixSocketFactory(Path path) {
    this.path = path;
  }

  @Override
  public Socket createSocket() {
    return new UnixSocket(path);
  }

  @Override
  public Socket createSocket(String host, int port) throws IOException {
    return connected();
  }

  @Override
  public Socket createSocket(String host, int port, InetAddress local, int localPort)
      throws IOException {
    return connected();
  }

  @Override
  public Socket createSocket(InetAddress host, int port) throws IOException {
    return connected();
  }

  @Override
  public Socket createSocket(InetAddress a, int port, InetAddress local, int localPort)
      throws IOException {
    return connected();
  }

  private Socket connected() throws IOException {
    Socket s = new UnixSocket(path);
    s.connect(null, 0);
    return s;
  }

  private static final class UnixSocket extends Socket {
    private final Path path;
    private SocketChannel channel;
    private InputStream in;
    private OutputStream out;
    private volatile boolean closed;

    UnixSocket(Path path) {
      this.path = path;
    }

    @Override
    public void connect(SocketAddress ignored, int timeout) throws IOException {
      channel = SocketChannel.open(UnixDomainSocketAddress.of(path));
      in = Channels.newInputStream(channel);
      out = Channels.newOutputStream(channel);
    }

    @Override
    public void connect(SocketAddress ignored) throws IOException {
      connect(ignored, 0);
    }

    @Override
    public InputStream getInputStream() throws IOException {
      if (in == null) throw new IOException("not connected to " + path);
      return in;
    }

    @Override
    public OutputStream getOutputStream() throws IOException {
      if (out == null) throw new IOException("not connected to " + path);
      return out;
    }

    @Override
    public boolean isConnected() {
      return channel != null && channel.isConnected();
    }

    @Override
    public boolean isClosed() {
      return closed;
    }

    @Override
    public synchronized void close() throws IOException {
      closed = true;
      if (channel != null) channel.close();
    }

    @Override
    public void shutdownInput() throws IOException {
      if (channel != null) channel.shutdownInput();
    }

    @Override
    public void shutdownOutput() throws IOException {
      if (channel != null) channel.shutdownOutput();
    }

    @Override
    public boolean isInputShutdown() {
      return closed;
    }

    @Override
    public boolean isOutputShutdown() {
      return closed;
    }

    @Override
    public void setSoTimeout(int timeout) {
      // reads are bounded by the call's own timeout, which closes the channel when it fires
    }

    @Override
    public int getSoTimeout() {
      return 0;
    }

    @Override
    public InetAddress getInetAddress() {
      return InetAddress.getLoopbackAddress();
    }
  }
}
