package dev.consulvmagent.spec;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collection;
import java.util.Locale;
import java.util.Map;

/**
 * The few Python library behaviours cloud-init's user-data path depends on, byte for byte: these
 * decide what cloud-init writes, so they are copied from CPython 3.11 (Debian 12; 3.10 and 3.12 on
 * Ubuntu 22.04/24.04 behave the same here), not approximated with Java's codecs.
 */
final class PythonCodecs {
  private PythonCodecs() {}

  /** Thrown where Python raises binascii.Error / ValueError. */
  static final class PyError extends Exception {
    PyError(String m) {
      super(m, null, false, false);
    }
  }

  private static int b64(int c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  }

  /**
   * binascii.a2b_base64 (Modules/binascii.c), strict_mode=False, as base64.b64decode(s) with
   * validate=False calls it: characters outside the alphabet are skipped, a pad sequence ends the
   * input, and leftover bits are "Incorrect padding".
   */
  static byte[] a2bBase64(byte[] in) throws PyError {
    ByteArrayOutputStream out = new ByteArrayOutputStream(in.length * 3 / 4 + 3);
    int quad = 0, left = 0, pads = 0;
    for (byte b : in) {
      int c = b & 0xff;
      if (c == '=') {
        if (quad >= 2 && quad + ++pads >= 4) return out.toByteArray();
        continue;
      }
      int v = b64(c);
      if (v < 0) continue;
      pads = 0;
      switch (quad) {
        case 0 -> {
          quad = 1;
          left = v;
        }
        case 1 -> {
          quad = 2;
          out.write((left << 2) | (v >> 4));
          left = v & 0x0f;
        }
        case 2 -> {
          quad = 3;
          out.write((left << 4) | (v >> 2));
          left = v & 0x03;
        }
        default -> {
          quad = 0;
          out.write((left << 6) | v);
          left = 0;
        }
      }
    }
    if (quad == 1)
      throw new PyError(
          "Invalid base64-encoded string: number of data characters cannot be 1 more than a"
              + " multiple of 4");
    if (quad != 0) throw new PyError("Incorrect padding");
    return out.toByteArray();
  }

  /** base64.b64decode(str): a str argument must be ASCII ("string argument should contain…"). */
  static byte[] b64decode(Object content) throws PyError {
    if (content instanceof byte[] b) return a2bBase64(b);
    if (content instanceof String s) {
      for (int i = 0; i < s.length(); i++)
        if (s.charAt(i) > 0x7f)
          throw new PyError("string argument should contain only ASCII characters");
      return a2bBase64(s.getBytes(StandardCharsets.US_ASCII));
    }
    throw new PyError("argument should be a bytes-like object or ASCII string");
  }

  private static boolean strictValid(byte[] in) {
    for (byte b : in) if (b != '=' && b64(b & 0xff) < 0) return false;
    return true;
  }

  /**
   * email._encoded_words.decode_b, which email.message.Message.get_payload(decode=True) uses for a
   * base64 part: missing padding is added, stray characters are skipped, and what cannot be decoded
   * at all is returned as it came.
   */
  static byte[] decodeB(byte[] encoded) {
    int padErr = encoded.length % 4;
    byte[] padded = encoded;
    if (padErr != 0) {
      padded = Arrays.copyOf(encoded, encoded.length + 4 - padErr);
      for (int i = encoded.length; i < padded.length; i++) padded[i] = '=';
    }
    // validate=True succeeds only without stray characters and with good padding
    if (strictValid(padded)) {
      try {
        return a2bStrictish(padded);
      } catch (PyError e) {
        // fall through as CPython does
      }
    }
    try {
      return a2bBase64(encoded);
    } catch (PyError e) {
      try {
        byte[] more = Arrays.copyOf(encoded, encoded.length + 2);
        more[encoded.length] = '=';
        more[encoded.length + 1] = '=';
        return a2bBase64(more);
      } catch (PyError e2) {
        return encoded;
      }
    }
  }

  /** a2b_base64 with strict_mode for input already checked to hold only alphabet and '='. */
  private static byte[] a2bStrictish(byte[] in) throws PyError {
    // strict mode also rejects data after padding and padding in the middle
    int firstPad = -1;
    for (int i = 0; i < in.length; i++) {
      if (in[i] == '=') {
        firstPad = i;
        break;
      }
    }
    if (firstPad >= 0) {
      for (int i = firstPad; i < in.length; i++)
        if (in[i] != '=') throw new PyError("Discontinuous padding not allowed");
      if (firstPad % 4 < 2) throw new PyError("Excess padding");
    }
    return a2bBase64(in);
  }

  /** binascii.a2b_qp(data, header=False), what quopri.decodestring uses. */
  static byte[] a2bQp(byte[] in) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(in.length);
    int i = 0;
    while (i < in.length) {
      int c = in[i] & 0xff;
      if (c != '=') {
        out.write(c);
        i++;
        continue;
      }
      if (i + 1 >= in.length) {
        i++; // a lone '=' at the very end is a soft line break
        continue;
      }
      int n = in[i + 1] & 0xff;
      if (n == '\n' || n == '\r') {
        // a soft line break: everything up to and including the next newline goes
        i++;
        while (i < in.length && in[i] != '\n') i++;
        if (i < in.length) i++;
      } else if (n == '=') {
        out.write('=');
        i += 2;
      } else if (i + 2 < in.length && hex(n) >= 0 && hex(in[i + 2] & 0xff) >= 0) {
        out.write(hex(n) << 4 | hex(in[i + 2] & 0xff));
        i += 3;
      } else {
        out.write('=');
        i++;
      }
    }
    return out.toByteArray();
  }

  private static int hex(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  /**
   * How get_payload(decode=True) turns a part's text back into bytes: ASCII as is, anything else
   * with 'raw-unicode-escape' (U+0080..U+00FF as one byte, the rest as a backslash-u escape). It is
   * why cloud-init mangles non-ASCII text in a part without base64.
   */
  static byte[] payloadBytes(String s) {
    boolean ascii = true;
    for (int i = 0; i < s.length() && ascii; i++) ascii = s.charAt(i) < 0x80;
    if (ascii) return s.getBytes(StandardCharsets.US_ASCII);
    ByteArrayOutputStream out = new ByteArrayOutputStream(s.length() + 16);
    s.codePoints()
        .forEach(
            cp -> {
              if (cp < 0x100) {
                out.write(cp);
                return;
              }
              int digits = cp < 0x10000 ? 4 : 8;
              out.write('\\');
              out.write(digits == 4 ? 'u' : 'U');
              for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4)
                out.write("0123456789abcdef".charAt((cp >> shift) & 0xf));
            });
    return out.toByteArray();
  }

  /** Strict UTF-8, or null where Python would raise UnicodeDecodeError. */
  static String utf8(byte[] b) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(b))
          .toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  /** cloudinit.util.translate_bool: falsy is false, a bool itself, else TRUE_STRINGS. */
  static boolean translateBool(Object v) {
    if (falsy(v)) return false;
    if (v instanceof Boolean b) return b;
    String s = pyStr(v).toLowerCase(Locale.ROOT).strip();
    return s.equals("true") || s.equals("1") || s.equals("on") || s.equals("yes");
  }

  /** Python truthiness for what YAML loads. */
  static boolean falsy(Object v) {
    if (v == null) return true;
    if (v instanceof Boolean b) return !b;
    if (v instanceof Number n) return n.doubleValue() == 0;
    if (v instanceof String s) return s.isEmpty();
    if (v instanceof byte[] b) return b.length == 0;
    if (v instanceof Collection<?> c) return c.isEmpty();
    if (v instanceof Map<?, ?> m) return m.isEmpty();
    return false;
  }

  /** str(v) for the scalars YAML gives (enough for translate_bool). */
  static String pyStr(Object v) {
    if (v instanceof Boolean b) return b ? "True" : "False";
    if (v == null) return "None";
    return String.valueOf(v);
  }

  /** Python's str.lstrip(): whitespace as str.isspace() sees it. */
  static String lstrip(String s) {
    int i = 0;
    while (i < s.length() && isSpace(s.charAt(i))) i++;
    return s.substring(i);
  }

  /** Python's str.strip(): whitespace as str.isspace() sees it, at both ends. */
  static String strip(String s) {
    int end = s.length();
    while (end > 0 && isSpace(s.charAt(end - 1))) end--;
    return lstrip(s.substring(0, end));
  }

  static boolean isSpace(char c) {
    return Character.isWhitespace(c)
        || Character.isSpaceChar(c)
        || c == '\u001c'
        || c == '\u001d'
        || c == '\u001e'
        || c == '\u001f'
        || c == '\u0085';
  }
}
