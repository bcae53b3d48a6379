package dev.consulvmagent.spec;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Deque;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import org.apache.james.mime4j.MimeException;
import org.apache.james.mime4j.stream.EntityState;
import org.apache.james.mime4j.stream.Field;
import org.apache.james.mime4j.stream.MimeConfig;
import org.apache.james.mime4j.stream.MimeTokenStream;
import org.apache.james.mime4j.stream.RecursionMode;

/**
 * cloud-init's user-data processing (cloudinit/user_data.py at 22.4.2, unchanged in substance
 * through 26.2): the raw blob becomes the list of parts its handlers are later called with, each
 * with the content type, headers and payload cloud-init gives them. The MIME structure is read by
 * Apache James mime4j with its own limits; what Python's email package then does to a part's bytes
 * (transfer decoding, text decoding) is {@link PythonCodecs}.
 */
final class CloudInitParts {
  private CloudInitParts() {}

  /** A part as cloud-init's handlers see it. payload: String (text/*) or byte[]; null: no text. */
  record Part(String type, Map<String, String> headers, Object payload, String where) {}

  /** handlers.INCLUSION_TYPES_MAP, longest prefix first (handlers.INCLUSION_SRCH). */
  private static final String[][] STARTS = {
    {"text/x-shellscript-per-instance", "text/x-shellscript-per-instance"},
    {"text/x-shellscript-per-boot", "text/x-shellscript-per-boot"},
    {"text/x-shellscript-per-once", "text/x-shellscript-per-once"},
    {"#cloud-config-archive", "text/cloud-config-archive"},
    {"#cloud-config-jsonp", "text/cloud-config-jsonp"},
    {"## template: jinja", "text/jinja2"},
    {"#cloud-boothook", "text/cloud-boothook"},
    {"#include-once", "text/x-include-once-url"},
    {"#cloud-config", "text/cloud-config"},
    {"#part-handler", "text/part-handler"},
    {"#include", "text/x-include-url"},
    {"#!", "text/x-shellscript"},
  };

  private static final List<String> DECOMP_TYPES =
      List.of(
          "application/gzip",
          "application/gzip-compressed",
          "application/gzipped",
          "application/x-compress",
          "application/x-compressed",
          "application/x-gunzip",
          "application/x-gzip",
          "application/x-gzip-compressed");

  /** handlers.type_from_starts_with: lower-cased, leading whitespace dropped, longest prefix. */
  static String typeFromStartsWith(Object payload, String dflt) {
    String s = payload instanceof byte[] b ? PythonCodecs.utf8(b) : (String) payload;
    if (s == null) return dflt;
    s = PythonCodecs.lstrip(s.toLowerCase(Locale.ROOT));
    for (String[] p : STARTS) if (s.startsWith(p[0])) return p[1];
    return dflt;
  }

  /** UserDataProcessor.process: the parts in the order cloud-init attaches them. */
  static List<Part> process(byte[] raw, UserData.Budget budget) {
    byte[] data = gunzipQuiet(raw, budget);
    List<Part> out = new ArrayList<>();
    byte[] head = Arrays.copyOf(data, Math.min(4096, data.length));
    if (new String(head, StandardCharsets.ISO_8859_1)
        .toLowerCase(Locale.ROOT)
        .contains("mime-version:")) {
      // convert_string: bdata.decode("utf-8"), then email.message_from_string
      if (PythonCodecs.utf8(data) == null)
        throw new SpecException(
            "user-data",
            "is a MIME message that is not UTF-8; cloud-init fails on it (UnicodeDecodeError)"
                + " and writes nothing");
      List<Node> nodes = mime(data, budget);
      Map<Leaf, Part> seen = new IdentityHashMap<>();
      Map<Leaf, List<Part>> attached = new IdentityHashMap<>();
      for (Node n : nodes) {
        if (!(n instanceof Leaf leaf)) continue;
        int from = out.size();
        seen.put(leaf, processPart(leaf, out, budget));
        attached.put(leaf, List.copyOf(out.subList(from, out.size())));
      }
      if (nodes.stream().anyMatch(n -> n instanceof Enclosing))
        out = walked(nodes, seen, attached, budget);
    } else {
      // convert_string: MIMEBase("text", "x-not-multipart") carrying the bytes
      processPart(new Leaf("text/x-not-multipart", new ArrayList<>(), data, "", true), out, budget);
    }
    return out;
  }

  /** A MIME entity cloud-init takes as a part: a leaf, or a message/rfc822 part. */
  private sealed interface Node permits Leaf, Enclosing {}

  /**
   * One leaf of the message: content type as Python's get_content_type gives it; in: the
   * message/rfc822 parts it is inside (their entity numbers).
   */
  private record Leaf(
      String type,
      List<String[]> headers,
      byte[] body,
      String cte,
      boolean binaryPayload,
      Set<Integer> in)
      implements Node {
    Leaf(String type, List<String[]> headers, byte[] body, String cte, boolean binaryPayload) {
      this(type, headers, body, cte, binaryPayload, Set.of());
    }
  }

  /** A message/rfc822 part (entity number id): the message inside it is walked with it. */
  private record Enclosing(int id) implements Node {}

  /**
   * The parts in the order handlers.walk hands them to the handlers (cloudinit/handlers/__init__.py
   * l. 257-277 at 22.4.2) where the message has message/rfc822 parts. _process_msg
   * (cloudinit/user_data.py l. 91-170) attaches every part walk() yields, the message/rfc822 part
   * itself included with the message inside it still its payload; handlers.walk then walks each
   * attached part, so a message/rfc822 part brings every part inside it again, as _process_msg left
   * it (its Content-Type set to the type found, l. 155-156), before those parts come on their own.
   * A part cloud-init replaced (decompressed, l. 141-153) or exploded (an archive) comes again as
   * it was, a type no handler takes. The message/rfc822 part itself has no payload
   * (get_payload(decode= True) of a message is None) and no handler.
   */
  private static List<Part> walked(
      List<Node> nodes,
      Map<Leaf, Part> seen,
      Map<Leaf, List<Part>> attached,
      UserData.Budget budget) {
    List<Part> out = new ArrayList<>();
    for (Node n : nodes) {
      List<Part> parts = new ArrayList<>();
      if (n instanceof Leaf leaf) parts.addAll(attached.get(leaf));
      else
        for (Node m : nodes)
          if (m instanceof Leaf leaf
              && leaf.in().contains(((Enclosing) n).id())
              && seen.get(leaf) != null) parts.add(seen.get(leaf));
      for (Part p : parts) {
        if (!(n instanceof Leaf)) budget.part(p.where());
        out.add(
            new Part(
                p.type(),
                p.headers(),
                p.payload(),
                "user-data part " + (out.size() + 1) + " (" + p.type() + ")"));
      }
    }
    return out;
  }

  /** Attaches the leaf's parts to out; returns the part walking the leaf itself gives, or null. */
  private static Part processPart(Leaf leaf, List<Part> out, UserData.Budget budget) {
    String where = "user-data part " + (out.size() + 1) + " (" + leaf.type() + ")";
    budget.part(where);
    String ctypeOrig = leaf.type();
    Object payload = fullyDecoded(leaf, budget, where);
    Map<String, String> headers = dict(leaf.headers());
    if (DECOMP_TYPES.contains(ctypeOrig)) {
      byte[] b = payload instanceof byte[] x ? x : PythonCodecs.payloadBytes((String) payload);
      byte[] plain = gunzip(b, where, budget);
      String text = plain == null ? null : PythonCodecs.utf8(plain);
      if (text == null)
        throw new SpecException(
            where,
            "is not gzip data of UTF-8 text; cloud-init fails on it (ERROR_ON_USER_DATA_FAILURE)"
                + " and writes nothing");
      // a new MIMENonMultipart carrying the text: walking it re-encodes as get_payload does
      String type = typeFromStartsWith(text, "text/plain");
      String again = PythonCodecs.utf8(PythonCodecs.payloadBytes(text));
      Object walked = type.startsWith("text/") ? again : PythonCodecs.payloadBytes(text);
      attach(type, new LinkedHashMap<>(), walked, out, budget, where);
      return null;
    }
    String ctype = null;
    if (ctypeOrig.equals("text/plain")
        || ctypeOrig.equals("text/x-not-multipart")
        || ctypeOrig.equals("text/x-shellscript")) {
      ctype = typeFromStartsWith(payload, null);
    }
    if (ctype == null) ctype = ctypeOrig;
    if (ctype.equals("text/x-include-url") || ctype.equals("text/x-include-once-url"))
      throw new SpecException(
          where,
          "is an #include of URLs; cloud-init fetches them at boot, the agent does not (put the"
              + " config in the user-data itself, or pass --user-data"
              + " /var/lib/cloud/instance/cloud-config.txt, the merged result cloud-init wrote)");
    if (ctype.equals("text/cloud-config-archive")) {
      explodeArchive(payload, out, budget, where);
      return null;
    }
    attach(ctype, headers, payload, out, budget, where);
    return out.get(out.size() - 1);
  }

  private static void attach(
      String type,
      Map<String, String> headers,
      Object payload,
      List<Part> out,
      UserData.Budget budget,
      String where) {
    out.add(
        new Part(type, headers, payload, "user-data part " + (out.size() + 1) + " (" + type + ")"));
  }

  /** UserDataProcessor._explode_archive. */
  private static void explodeArchive(
      Object payload, List<Part> out, UserData.Budget budget, String where) {
    Object loaded = CloudInitYaml.load(payload, where, budget);
    if (!(loaded instanceof List<?> || loaded instanceof Set<?>)) return; // default []
    for (Object ent : (Collection<?>) loaded) {
      if (ent instanceof String s) ent = Map.of("content", s);
      if (!(ent instanceof Map<?, ?> m)) continue;
      budget.part(where);
      Object content = m.containsKey("content") ? m.get("content") : "";
      Object mtype = m.get("type");
      String type;
      if (PythonCodecs.falsy(mtype)) {
        type =
            typeFromStartsWith(
                content instanceof byte[] || content instanceof String ? content : "",
                content instanceof byte[] ? "application/octet-stream" : "text/cloud-config");
      } else if (mtype instanceof String t && t.contains("/")) {
        type = t;
      } else {
        throw new SpecException(
            where + ".type",
            "is not a MIME type (main/sub); cloud-init fails on the archive and writes nothing");
      }
      Object text;
      if (type.startsWith("text/")) {
        if (content instanceof byte[] b) {
          text = PythonCodecs.utf8(b);
          if (text == null)
            throw new SpecException(
                where, "an entry's !!binary content is not UTF-8; cloud-init fails on it");
        } else if (content instanceof String s) {
          text = s;
        } else {
          throw new SpecException(
              where,
              "an entry's content is not text; cloud-init fails on the archive and writes nothing");
        }
      } else {
        text = content instanceof String s ? PythonCodecs.payloadBytes(s) : content;
      }
      Map<String, String> headers = new LinkedHashMap<>();
      for (Map.Entry<?, ?> e : m.entrySet()) {
        if (!(e.getKey() instanceof String k)) continue;
        String lk = k.toLowerCase(Locale.ROOT);
        if (List.of(
                "content",
                "filename",
                "type",
                "launch-index",
                "content-disposition",
                "number-attachments",
                "content-type")
            .contains(lk)) continue;
        if (!(e.getValue() instanceof String v))
          throw new SpecException(
              where + "." + k,
              "is not a string; cloud-init fails on the archive (add_header) and writes nothing");
        headers.put(k, v);
      }
      attach(type, headers, text, out, budget, where);
    }
  }

  /**
   * dict(part): header names as written (the handler looks up "Merge-Type" exactly); a repeated
   * name gives its first value (Message.__getitem__ is get(), the first match).
   */
  private static Map<String, String> dict(List<String[]> fields) {
    Map<String, String> m = new LinkedHashMap<>();
    for (String[] f : fields) {
      String first = null;
      for (String[] g : fields) {
        if (g[0].equalsIgnoreCase(f[0])) {
          first = g[1];
          break;
        }
      }
      m.put(f[0], first);
    }
    return m;
  }

  /**
   * util.fully_decoded_payload: Content-Transfer-Encoding decoded as get_payload(decode=True) does;
   * text/* then as UTF-8 (null where the bytes are not UTF-8: Python's surrogate escapes make YAML
   * refuse the part later).
   */
  private static Object fullyDecoded(Leaf leaf, UserData.Budget budget, String where) {
    byte[] b = leaf.body();
    if (!leaf.binaryPayload()) {
      String text = new String(b, StandardCharsets.UTF_8); // checked to be UTF-8 as a whole
      b = PythonCodecs.payloadBytes(text);
      String cte = leaf.cte().toLowerCase(Locale.ROOT);
      if (cte.equals("quoted-printable")) b = PythonCodecs.a2bQp(b);
      else if (cte.equals("base64")) b = PythonCodecs.decodeB(joinLines(b));
    }
    budget.decoded(b.length, where);
    if (leaf.type().startsWith("text/")) return PythonCodecs.utf8(b);
    return b;
  }

  /** b''.join(bpayload.splitlines()). */
  private static byte[] joinLines(byte[] b) {
    ByteArrayOutputStream o = new ByteArrayOutputStream(b.length);
    for (byte x : b) if (x != '\n' && x != '\r') o.write(x);
    return o.toByteArray();
  }

  /**
   * Python's Message.get_content_type (CPython 3.11 Lib/email/message.py l. 591-613, with
   * _splitparam l. 29): the first Content-Type up to its first ';', stripped (str.strip) and
   * lower-cased; "text/plain" where that has not exactly one '/' (RFC 2045 5.2); the default type
   * where there is no Content-Type (message/rfc822 in a multipart/digest, feedparser l. 202).
   */
  private static String contentType(List<String[]> fields, String dflt) {
    for (String[] f : fields) {
      if (f[0].equalsIgnoreCase("content-type")) {
        String t = PythonCodecs.strip(f[1].split(";", 2)[0]).toLowerCase(Locale.ROOT);
        return t.chars().filter(c -> c == '/').count() == 1 ? t : "text/plain";
      }
    }
    return dflt;
  }

  private static String first(List<String[]> fields, String name) {
    for (String[] f : fields) if (f[0].equalsIgnoreCase(name)) return f[1];
    return "";
  }

  /**
   * The leaves and message/rfc822 parts of a MIME message in walk() order; multiparts are skipped
   * as cloud-init does.
   */
  private static List<Node> mime(byte[] data, UserData.Budget budget) {
    MimeConfig config =
        MimeConfig.custom()
            .setMaxLineLen(UserData.MAX_BYTES)
            .setMaxHeaderCount(UserData.MAX_HEADERS)
            .setMaxHeaderLen(UserData.MAX_HEADER_BLOCK)
            .setMaxContentLen(UserData.MAX_BYTES)
            .setMalformedHeaderStartsBody(true)
            .setStrictParsing(false)
            .build();
    MimeTokenStream stream = new MimeTokenStream(config);
    stream.setRecursionMode(RecursionMode.M_RECURSE);
    Prepared prepared = pythonHeaderBlocks(data);
    byte[] eof = eofMark(prepared.bytes());
    ByteArrayOutputStream input = new ByteArrayOutputStream(prepared.bytes().length + eof.length);
    input.writeBytes(prepared.bytes());
    input.writeBytes(eof);
    stream.parse(new ByteArrayInputStream(input.toByteArray()));
    List<Node> nodes = new ArrayList<>();
    List<String[]> fields = new ArrayList<>();
    Deque<Integer> messages = new ArrayDeque<>(); // the message/rfc822 parts the entity is in
    int message = 0; // the message/rfc822 part whose message starts next
    int messageParts = 0;
    // the content types (as Python reads them) of the multiparts the entity is in, innermost first
    Deque<String> containers = new ArrayDeque<>();
    String type = "text/plain";
    int entity = 0; // the message is 1, then every part (containers too) in walk() order
    int depth = 0;
    try {
      for (EntityState s = stream.getState(); s != EntityState.T_END_OF_STREAM; s = stream.next()) {
        switch (s) {
          case T_START_MESSAGE -> {
            if (entity == 0) break; // the user-data itself
            messages.push(message);
            containers.push("message/rfc822"); // its parts' default type: text/plain
            if (++depth > UserData.MAX_DEPTH)
              throw new SpecException(
                  "user-data", "MIME multipart nested more than " + UserData.MAX_DEPTH + " deep");
          }
          case T_END_MESSAGE -> {
            if (messages.isEmpty()) break;
            messages.pop();
            containers.pop();
            depth--;
          }
          case T_START_HEADER -> {
            fields = new ArrayList<>();
            entity++;
          }
          case T_FIELD -> {
            Field f = stream.getField();
            String raw =
                f.getRaw() == null ? f.getName() + ": " + f.getBody() : f.getRaw().toString();
            int colon = raw.indexOf(':');
            String name = colon < 0 ? raw : raw.substring(0, colon);
            String value = colon < 0 ? "" : raw.substring(colon + 1).replaceFirst("^[ \t]+", "");
            fields.add(new String[] {name, value.replaceAll("[\r\n]+$", "")});
          }
          case T_END_HEADER -> {
            type =
                contentType(
                    fields,
                    "multipart/digest".equals(containers.peek()) ? "message/rfc822" : "text/plain");
            Kind kind = pythonKind(type, fields, entity);
            if (kind == Kind.MESSAGE) {
              nodes.add(new Enclosing(entity));
              message = entity;
              messageParts++;
            }
            stream.setRecursionMode(
                kind == Kind.LEAF ? RecursionMode.M_FLAT : RecursionMode.M_RECURSE);
          }
          case T_START_MULTIPART -> {
            String py = pythonBoundary(first(fields, "content-type"));
            String ours = stream.getBodyDescriptor().getBoundary();
            if (!Objects.equals(py, ours))
              throw new SpecException(
                  "user-data",
                  "the MIME boundary parameter "
                      + Validators.quote(first(fields, "content-type"))
                      + " is read as "
                      + (py == null ? "no boundary" : Validators.quote(py))
                      + " by Python's email parser (cloud-init) and as "
                      + Validators.quote(String.valueOf(ours))
                      + " by the agent's MIME reader; quote it properly");
            if (!prepared.delimiters().contains("--" + py))
              throw new SpecException(
                  "user-data",
                  "the MIME boundary parameter "
                      + Validators.quote(first(fields, "content-type"))
                      + " is not written as boundary=\"...\" or boundary=token; write it so");
            if (++depth > UserData.MAX_DEPTH)
              throw new SpecException(
                  "user-data", "MIME multipart nested more than " + UserData.MAX_DEPTH + " deep");
            containers.push(type);
          }
          case T_END_MULTIPART -> {
            depth--;
            containers.pop();
          }
          case T_BODY -> {
            stream.setRecursionMode(RecursionMode.M_RECURSE);
            if (type.startsWith("multipart/")) {
              // Python's parser splits it (a boundary) and mime4j did not: they disagree
              if (pythonBoundary(first(fields, "content-type")) != null)
                throw readsOtherwise(
                    entity,
                    type,
                    fields,
                    "is a multipart Python's email parser (cloud-init) splits and the agent's MIME"
                        + " reader does not",
                    "write it as multipart/mixed; boundary=\"...\"");
              break; // no boundary: a container all the same, its text ignored
            }
            if (type.startsWith("message/"))
              throw readsOtherwise(
                  entity,
                  type,
                  fields,
                  "is a message/rfc822 part Python's email parser (cloud-init) reads a message in"
                      + " and the agent's MIME reader does not",
                  "put its parts in the multipart itself");
            budget.part("user-data");
            byte[] body;
            try (InputStream in = stream.getInputStream()) {
              body = in.readNBytes(UserData.MAX_BYTES + eof.length + 1);
            }
            if (endsWith(body, eof)) {
              // the part runs to the end of the user-data: a multipart's part still loses its last
              // line end there (feedparser l. 387-409: the newline before a boundary is the
              // boundary's, and Python drops it however the part ended); mime4j drops it only
              // before a boundary
              body = Arrays.copyOf(body, body.length - eof.length);
              if (containers.stream().anyMatch(c -> c.startsWith("multipart/")))
                body = Arrays.copyOf(body, body.length - lineEnd(body));
            }
            if (prepared.insertedAfterBoundary()
                && containsDelimiterLine(body, prepared.delimiters()))
              throw new SpecException(
                  where(entity, type),
                  "has a line that is a MIME boundary of this message in its text, and a part"
                      + " that starts with a line that is not a header: Python's email parser"
                      + " (cloud-init) and the agent's MIME reader may split it differently;"
                      + " start each part with its headers and a blank line");
            nodes.add(
                new Leaf(
                    type,
                    fields,
                    body,
                    first(fields, "content-transfer-encoding"),
                    false,
                    Set.copyOf(messages)));
          }
          default -> {}
        }
      }
    } catch (IOException | MimeException e) {
      throw new SpecException(
          "user-data", "is not a MIME message cloud-init can read (" + e.getMessage() + ")");
    }
    // where the text-level pass took other header blocks for message/* parts than mime4j did, it
    // may have put blank lines in where the message inside does not start
    if (messageParts != prepared.messages())
      throw new SpecException(
          "user-data",
          "has "
              + prepared.messages()
              + " header blocks of message/* parts where the agent's MIME reader finds "
              + messageParts
              + " message/rfc822 parts: Python's email parser (cloud-init) and the agent's MIME"
              + " reader may split it differently; put the parts in the multipart itself");
    return nodes;
  }

  /** email.feedparser's headerRE: a header, a continuation, or a From_ line. */
  private static final Pattern HEADER =
      Pattern.compile("^(From |[\\x21-\\x39\\x3b-\\x7e]*:|[\\t ])");

  private static final Pattern BOUNDARY =
      Pattern.compile(
          "boundary\\s*=\\s*(?:\"([^\"\\r\\n]*)\"|([^\\s;\"]+))", Pattern.CASE_INSENSITIVE);

  /**
   * The message as mime4j is given it; delimiters: every "--boundary" a boundary parameter anywhere
   * in the text names; insertedAfterBoundary: a blank line was put in after such a line; messages:
   * the header blocks of message/* parts seen.
   */
  record Prepared(
      byte[] bytes, Set<String> delimiters, boolean insertedAfterBoundary, int messages) {}

  /**
   * Python's email parser ends a header block at the first line that is not a header (and that line
   * starts the body): "#cloud-config" right at the top of a message or part is body. mime4j reads
   * on past such a line; a blank line put before it makes both read the same. Which lines are
   * boundaries is guessed here from the text (any boundary parameter); where the guess is wrong, a
   * blank line put in after a line that only looks like a boundary lands in a part's text, so a
   * part whose text holds such a line is refused when that may have happened.
   */
  static Prepared pythonHeaderBlocks(byte[] data) {
    String text = new String(data, StandardCharsets.UTF_8);
    Set<String> delimiters = new HashSet<>();
    Matcher m = BOUNDARY.matcher(text);
    while (m.find()) delimiters.add("--" + (m.group(1) != null ? m.group(1) : m.group(2)));
    StringBuilder out = new StringBuilder(text.length() + 16);
    boolean inHeaders = true;
    boolean afterBoundary = false;
    boolean inserted = false;
    // the header block's first Content-Type, as Python keeps it (folded lines joined), or null;
    // folding: whether the block's last field is that one
    StringBuilder block = null;
    boolean folding = false;
    int messages = 0;
    int lineNo = 0;
    int i = 0;
    while (i < text.length()) {
      int nl = text.indexOf('\n', i);
      int end = nl < 0 ? text.length() : nl + 1;
      String line = text.substring(i, end);
      int cut = line.length();
      while (cut > 0 && (line.charAt(cut - 1) == '\n' || line.charAt(cut - 1) == '\r')) cut--;
      String bare = line.substring(0, cut);
      lineNo++;
      int cr = bare.indexOf('\r');
      if (cr >= 0 && (inHeaders || startsWithAny(bare.substring(cr + 1), delimiters)))
        throw new SpecException(
            "user-data",
            "line "
                + lineNo
                + " has a carriage return inside a MIME header block or before a boundary:"
                + " Python's email parser (cloud-init) takes it as a line end and the agent's MIME"
                + " reader does not; use LF or CRLF line ends");
      if (bare.startsWith("--")) {
        for (String d : delimiters) {
          if (bare.startsWith(d) && !isDelimiterLine(bare, d))
            throw new SpecException(
                "user-data",
                "line "
                    + lineNo
                    + " starts with the MIME boundary "
                    + Validators.quote(d)
                    + " but is not a boundary line (only '--' and spaces may follow): Python's"
                    + " email parser (cloud-init) and the agent's MIME reader split it"
                    + " differently");
        }
      }
      if (inHeaders) {
        if (bare.isEmpty()) {
          // a message/* part: the message in it starts with its own header block (feedparser
          // l. 295-304), which ends like any other at its first line that is not a header
          inHeaders = isMessage(block);
          if (inHeaders) messages++;
          block = null;
          folding = false;
        } else if (!HEADER.matcher(bare).find()) {
          out.append(line.endsWith("\r\n") ? "\r\n" : "\n");
          if (isMessage(block)) {
            messages++;
            out.append(line.endsWith("\r\n") ? "\r\n" : "\n");
          }
          block = null;
          folding = false;
          inHeaders = false;
          inserted |= afterBoundary;
        } else if (bare.charAt(0) == ' ' || bare.charAt(0) == '\t') {
          if (folding) block.append('\n').append(bare);
        } else {
          int colon = bare.indexOf(':');
          folding =
              block == null
                  && !bare.startsWith("From ")
                  && bare.substring(0, colon).equalsIgnoreCase("content-type");
          if (folding)
            block = new StringBuilder(bare.substring(colon + 1).replaceFirst("^[ \t]+", ""));
        }
      } else if (delimiters.contains(bare.stripTrailing())) {
        inHeaders = true;
        afterBoundary = true;
      }
      out.append(line);
      i = end;
    }
    return new Prepared(
        out.toString().getBytes(StandardCharsets.UTF_8), delimiters, inserted, messages);
  }

  /** Whether a header block makes a message/* part (its default type is text/plain here). */
  private static boolean isMessage(StringBuilder contentType) {
    return contentType != null
        && contentType(
                List.<String[]>of(new String[] {"content-type", contentType.toString()}),
                "text/plain")
            .startsWith("message/");
  }

  /**
   * A line put after the user-data to tell a part that runs to its end (mime4j gives no offsets):
   * no header, no boundary, and found nowhere in the text; after a line end of its own where the
   * text has none (a boundary line at the very end stays one).
   */
  private static byte[] eofMark(byte[] text) {
    String t = new String(text, StandardCharsets.ISO_8859_1);
    String mark = "cva-end-of-user-data";
    for (int n = 0; t.contains(mark); n++) mark = "cva-end-of-user-data-" + n;
    boolean lineEnd = t.isEmpty() || t.endsWith("\n") || t.endsWith("\r");
    return ((lineEnd ? "" : "\n") + mark).getBytes(StandardCharsets.ISO_8859_1);
  }

  private static boolean endsWith(byte[] b, byte[] suffix) {
    return b.length >= suffix.length
        && Arrays.equals(b, b.length - suffix.length, b.length, suffix, 0, suffix.length);
  }

  /** The length of the line end the bytes end with (NLCRE_eol: \r\n, \r or \n), or 0. */
  private static int lineEnd(byte[] b) {
    int n = b.length;
    if (n >= 2 && b[n - 2] == '\r' && b[n - 1] == '\n') return 2;
    return n >= 1 && (b[n - 1] == '\n' || b[n - 1] == '\r') ? 1 : 0;
  }

  /** Whether a line of the text is a boundary line (as the pre-pass takes them) of a delimiter. */
  private static boolean containsDelimiterLine(byte[] body, Set<String> delimiters) {
    for (String line : new String(body, StandardCharsets.UTF_8).split("\r\n|\r|\n", -1)) {
      if (!line.startsWith("--")) continue;
      for (String d : delimiters) if (line.startsWith(d) && isDelimiterLine(line, d)) return true;
    }
    return false;
  }

  /**
   * Message.get_boundary(): email.message._parseparam (quote-aware split on ';'), the first
   * boundary parameter, utils.unquote (surrounding quotes or angle brackets), then rstrip.
   */
  static String pythonBoundary(String contentType) {
    for (String p : pythonParams(contentType)) {
      int i = p.indexOf('=');
      String name = (i < 0 ? p : p.substring(0, i)).strip();
      String val = i < 0 ? "" : p.substring(i + 1).strip();
      if (!name.equalsIgnoreCase("boundary")) continue;
      if (val.length() > 1 && val.startsWith("\"") && val.endsWith("\""))
        val = val.substring(1, val.length() - 1).replace("\\\\", "\\").replace("\\\"", "\"");
      else if (val.length() > 1 && val.startsWith("<") && val.endsWith(">"))
        val = val.substring(1, val.length() - 1);
      return val.stripTrailing();
    }
    return null;
  }

  /** RFC 2231 names of the boundary parameter (utils.rfc2231_continuation, l. 389). */
  private static final Pattern RFC2231_BOUNDARY =
      Pattern.compile("boundary\\*([0-9]+\\*?)?", Pattern.CASE_INSENSITIVE);

  /**
   * email.message._parseparam (quote-aware split on ';'): the parameters after the type, each
   * "name=value" with the name stripped and lower-cased, the value stripped.
   */
  private static List<String> pythonParams(String contentType) {
    String s = ";" + contentType;
    List<String> plist = new ArrayList<>();
    while (s.startsWith(";")) {
      s = s.substring(1);
      int end = s.indexOf(';');
      while (end > 0 && (count(s, "\"", end) - count(s, "\\\"", end)) % 2 != 0)
        end = s.indexOf(';', end + 1);
      if (end < 0) end = s.length();
      String f = s.substring(0, end);
      int i = f.indexOf('=');
      if (i >= 0)
        f = f.substring(0, i).strip().toLowerCase(Locale.ROOT) + "=" + f.substring(i + 1).strip();
      plist.add(f.strip());
      s = s.substring(end);
    }
    return plist.subList(Math.min(1, plist.size()), plist.size());
  }

  /**
   * How Python's email parser (cloud-init 22.4.2 reads user-data with email.message_from_string,
   * cloudinit/user_data.py l. 384-385) splits the entity into parts, decided as CPython 3.11's
   * FeedParser._parsegen does (Lib/email/feedparser.py): a message/* type (l. 256, 295) is read as
   * a message inside; a multipart/* one (l. 305-321) is split at its boundary if it has one, else
   * its text is its payload; any other type, however its Content-Type header reads, is one part
   * whose text runs to the enclosing boundary. mime4j decides by its own reading of the header
   * ("multipart/mix{{ 7 / 2 }}ed" is multipart to it; to Python it has two '/' and is text/plain,
   * Lib/email/message.py l. 611), so the agent tells it (RecursionMode.M_FLAT) not to split what
   * Python does not. cloud-init then skips multipart/* parts, split or not, as containers
   * (user_data.py l. 358-362 is_skippable, handlers/__init__.py l. 259-262 walk), and takes every
   * other part walk() yields; a message/rfc822 part is yielded before the parts inside it and
   * brings them again when the handlers walk it ({@link #walked}).
   */
  /** How a refusal names a MIME entity. */
  private static String where(int entity, String type) {
    return "user-data MIME part " + entity + " (" + type + ")";
  }

  /** An entity the agent's MIME reader reads otherwise than Python's: refused, its type quoted. */
  private static SpecException readsOtherwise(
      int entity, String type, List<String[]> fields, String what, String fix) {
    return new SpecException(
        where(entity, type),
        what + " (Content-Type " + Validators.quote(first(fields, "content-type")) + "); " + fix);
  }

  private static Kind pythonKind(String type, List<String[]> fields, int entity) {
    String where = where(entity, type);
    String contentType = first(fields, "content-type");
    String main = type.substring(0, type.indexOf('/'));
    if (main.equals("message")) {
      // mime4j reads a message in message/rfc822 only (MimeUtil.isMessage); Python in every
      // message/* type, message/delivery-status as header blocks (feedparser l. 256-294)
      if (!type.equals("message/rfc822"))
        throw new SpecException(
            where,
            "is a message/* part other than message/rfc822: Python's email parser (cloud-init)"
                + " reads a message in it and the agent's MIME reader does not; put its parts in"
                + " the multipart itself");
      // the user-data itself: _process_msg sets its Content-Type to each later part's type
      // (user_data.py l. 168) and handlers.walk hands it, without a payload, to that handler
      if (entity == 1)
        throw new SpecException(
            where,
            "is the user-data itself as a message/rfc822: cloud-init hands it to the handler of"
                + " the last part's type without its content, which the agent's MIME reader does"
                + " not follow; make it a multipart/mixed");
      if (contentType.isEmpty())
        throw new SpecException(
            where,
            "is a part of a multipart/digest without a Content-Type, so a message/rfc822 to"
                + " Python's email parser (cloud-init), whose message the agent's MIME reader may"
                + " split otherwise; give it its Content-Type");
      return Kind.MESSAGE;
    }
    if (!main.equals("multipart")) return Kind.LEAF;
    for (String p : pythonParams(contentType)) {
      int i = p.indexOf('=');
      if (RFC2231_BOUNDARY.matcher((i < 0 ? p : p.substring(0, i)).strip()).matches())
        throw new SpecException(
            where,
            "has an RFC 2231 boundary parameter ("
                + Validators.quote(p)
                + "), which Python's email parser (cloud-init) reads and the agent's MIME reader"
                + " does not; write boundary=\"...\"");
    }
    return pythonBoundary(contentType) != null ? Kind.SPLIT : Kind.LEAF;
  }

  /** How Python's email parser reads an entity: one part, split at a boundary, a message in it. */
  private enum Kind {
    LEAF,
    SPLIT,
    MESSAGE
  }

  private static int count(String s, String what, int end) {
    int n = 0;
    for (int i = s.indexOf(what); i >= 0 && i + what.length() <= end; i = s.indexOf(what, i + 1))
      n++;
    return n;
  }

  /** Whether any CR-separated piece of the text starts with one of the delimiters. */
  private static boolean startsWithAny(String text, Set<String> delimiters) {
    for (String piece : text.split("\r", -1))
      for (String d : delimiters) if (piece.startsWith(d)) return true;
    return false;
  }

  /** email.feedparser's boundary line: the delimiter, an optional "--", spaces or tabs. */
  private static boolean isDelimiterLine(String line, String d) {
    String rest = line.substring(d.length());
    if (rest.startsWith("--")) rest = rest.substring(2);
    for (int i = 0; i < rest.length(); i++)
      if (rest.charAt(i) != ' ' && rest.charAt(i) != '\t') return false;
    return true;
  }

  /** util.decomp_gzip(quiet=True) on the whole blob: gunzip if it can, else the bytes as given. */
  private static byte[] gunzipQuiet(byte[] b, UserData.Budget budget) {
    if (b.length < 2 || (b[0] & 0xff) != 0x1f || (b[1] & 0xff) != 0x8b) return b;
    byte[] out = gunzip(b, "user-data", budget);
    return out == null ? b : out;
  }

  /**
   * gzip.GzipFile(...).read() of CPython 3.11 (Lib/gzip.py _GzipReader): members one after another,
   * zero padding between them skipped, anything else after a member "Not a gzipped file", the
   * header CRC skipped unchecked, each member's CRC-32 and length checked. Null where Python
   * raises; bounded by the budget.
   */
  static byte[] gunzip(byte[] b, String where, UserData.Budget budget) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int pos = 0;
    boolean first = true;
    byte[] buf = new byte[64 * 1024];
    try {
      while (true) {
        if (!first) {
          while (pos < b.length && b[pos] == 0) pos++; // zero padding
        }
        if (pos >= b.length) {
          break; // the end (empty input reads as empty, as in Python)
        }
        first = false;
        if (pos + 10 > b.length || (b[pos] & 0xff) != 0x1f || (b[pos + 1] & 0xff) != 0x8b)
          return null;
        if (b[pos + 2] != 8) return null;
        int flag = b[pos + 3] & 0xff;
        pos += 10;
        if ((flag & 4) != 0) {
          if (pos + 2 > b.length) return null;
          int xlen = (b[pos] & 0xff) | (b[pos + 1] & 0xff) << 8;
          pos += 2 + xlen;
        }
        if ((flag & 8) != 0) {
          while (pos < b.length && b[pos] != 0) pos++;
          pos++;
        }
        if ((flag & 16) != 0) {
          while (pos < b.length && b[pos] != 0) pos++;
          pos++;
        }
        if ((flag & 2) != 0) pos += 2;
        if (pos > b.length) return null;
        Inflater inf = new Inflater(true);
        CRC32 crc = new CRC32();
        long size = 0;
        try {
          inf.setInput(b, pos, b.length - pos);
          while (!inf.finished()) {
            int n = inf.inflate(buf);
            if (n == 0 && (inf.needsInput() || inf.needsDictionary())) return null; // truncated
            crc.update(buf, 0, n);
            size += n;
            if (out.size() + n > UserData.MAX_BYTES)
              throw new SpecException(
                  where,
                  "decompresses to more than " + UserData.MAX_BYTES / (1024 * 1024) + " MiB");
            out.write(buf, 0, n);
          }
          pos = b.length - inf.getRemaining();
        } finally {
          inf.end();
        }
        if (pos + 8 > b.length) return null;
        long want =
            (b[pos] & 0xffL)
                | (b[pos + 1] & 0xffL) << 8
                | (b[pos + 2] & 0xffL) << 16
                | (b[pos + 3] & 0xffL) << 24;
        long isize =
            (b[pos + 4] & 0xffL)
                | (b[pos + 5] & 0xffL) << 8
                | (b[pos + 6] & 0xffL) << 16
                | (b[pos + 7] & 0xffL) << 24;
        if (want != crc.getValue() || isize != (size & 0xffffffffL)) return null;
        pos += 8;
      }
    } catch (DataFormatException e) {
      return null;
    }
    budget.decoded(out.size(), where);
    return out.toByteArray();
  }
}
