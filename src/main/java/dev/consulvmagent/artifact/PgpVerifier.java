package dev.consulvmagent.artifact;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Date;
import java.util.Iterator;
import java.util.Map;
import org.bouncycastle.bcpg.ArmoredInputStream;
import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.bcpg.sig.RevocationReason;
import org.bouncycastle.bcpg.sig.RevocationReasonTags;
import org.bouncycastle.openpgp.PGPCompressedData;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRingCollection;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureList;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.bc.BcPGPObjectFactory;
import org.bouncycastle.openpgp.operator.bc.BcKeyFingerprintCalculator;
import org.bouncycastle.openpgp.operator.bc.BcPGPContentVerifierBuilderProvider;

/**
 * OpenPGP verification against a pinned public key ring (BouncyCastle). The issuer key id of a
 * signature is looked up among primary keys and subkeys (HashiCorp signs with a subkey).
 */
public final class PgpVerifier {
  private final PGPPublicKeyRingCollection keys;

  public PgpVerifier(byte[] armoredKeys) {
    try (InputStream in = PGPUtil.getDecoderStream(new ByteArrayInputStream(armoredKeys))) {
      this.keys = new PGPPublicKeyRingCollection(in, new BcKeyFingerprintCalculator());
    } catch (IOException | PGPException e) {
      throw new IllegalArgumentException(
          "cannot read the pinned OpenPGP key: " + e.getMessage(), e);
    }
    if (!keys.getKeyRings().hasNext())
      throw new IllegalArgumentException("the pinned OpenPGP key ring is empty");
  }

  public static PgpVerifier fromResource(String name) {
    try (InputStream in = PgpVerifier.class.getResourceAsStream(name)) {
      if (in == null) throw new IllegalStateException("missing key resource " + name);
      return new PgpVerifier(in.readAllBytes());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** True when the ring holds a primary key or subkey with this key id. */
  public boolean hasKey(long keyId) {
    return keys.getPublicKey(keyId) != null;
  }

  /**
   * Verifies a detached signature (binary or armored) over data; throws when it does not verify.
   * The signature must be exactly one signature packet whose declared length is the file's: a
   * changed length byte or trailing bytes are refused (BouncyCastle reads a short packet).
   */
  public void verifyDetached(byte[] data, byte[] signature, String what) {
    try (InputStream in = PGPUtil.getDecoderStream(new ByteArrayInputStream(signature))) {
      byte[] raw = in.readAllBytes();
      Object o = new BcPGPObjectFactory(raw).nextObject();
      PGPSignature sig = firstSignature(o, what);
      if (o instanceof PGPSignatureList list
          && (list.size() != 1 || packetEnd(raw) != raw.length)) {
        throw new SignatureException(
            what
                + ": the signature file is malformed (not exactly one"
                + " signature packet); refusing it");
      }
      check(sig, data, what);
    } catch (IOException | PGPException | RuntimeException e) {
      if (e instanceof SignatureException se) throw se;
      throw new SignatureException(what + ": signature cannot be read: " + e.getMessage());
    }
  }

  /**
   * The text of a clearsigned document (RFC 4880 §7: the Hash header skipped, dash-escaped lines
   * restored) WITHOUT checking its signature: for downloads.verify_signatures: false only.
   */
  public static String clearsignedBody(byte[] document, String what) {
    try (ArmoredInputStream ain =
        ArmoredInputStream.builder().build(new ByteArrayInputStream(document))) {
      return new String(clearText(ain, what), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new SignatureException(
          what + ": clearsigned document cannot be read: " + e.getMessage());
    }
  }

  private static byte[] clearText(ArmoredInputStream ain, String what) throws IOException {
    if (!ain.isClearText()) throw new SignatureException(what + ": not a clearsigned document");
    ByteArrayOutputStream text = new ByteArrayOutputStream();
    int ch;
    while ((ch = ain.read()) >= 0 && ain.isClearText()) text.write(ch);
    return text.toByteArray();
  }

  /** Verifies a clearsigned document and returns its signed text. */
  public String verifyClearsigned(byte[] document, String what) {
    try (ArmoredInputStream ain =
        ArmoredInputStream.builder().build(new ByteArrayInputStream(document))) {
      byte[] raw = clearText(ain, what);
      PGPSignature sig = firstSignature(new BcPGPObjectFactory(ain).nextObject(), what);
      check(sig, canonical(raw), what);
      return new String(raw, StandardCharsets.UTF_8);
    } catch (IOException | PGPException e) {
      throw new SignatureException(
          what + ": clearsigned document cannot be read: " + e.getMessage());
    }
  }

  /** RFC 4880 §7.1: trailing spaces removed, CRLF line ends, no final line end. */
  static byte[] canonical(byte[] raw) {
    String s = new String(raw, StandardCharsets.UTF_8);
    if (s.endsWith("\r\n")) s = s.substring(0, s.length() - 2);
    else if (s.endsWith("\n")) s = s.substring(0, s.length() - 1);
    String[] lines = s.split("\r?\n", -1);
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < lines.length; i++) {
      if (i > 0) b.append("\r\n");
      b.append(lines[i].replaceAll("[ \t]+$", ""));
    }
    return b.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static PGPSignature firstSignature(Object o, String what)
      throws PGPException, IOException {
    if (o instanceof PGPCompressedData c)
      o = new BcPGPObjectFactory(c.getDataStream()).nextObject();
    if (!(o instanceof PGPSignatureList list) || list.isEmpty())
      throw new SignatureException(what + ": no OpenPGP signature found");
    return list.get(0);
  }

  private void check(PGPSignature sig, byte[] data, String what) throws PGPException {
    PGPPublicKey key = keys.getPublicKey(sig.getKeyID());
    if (key == null) {
      throw new SignatureException(
          what
              + ": signed by key "
              + Long.toHexString(sig.getKeyID()).toUpperCase()
              + ", which is not the pinned release key; refusing it");
    }
    int type = sig.getSignatureType();
    if (type != PGPSignature.BINARY_DOCUMENT && type != PGPSignature.CANONICAL_TEXT_DOCUMENT) {
      throw new SignatureException(
          what + ": not a document signature (type " + type + "); refusing it");
    }
    String digest = DIGESTS.get(sig.getHashAlgorithm());
    if (digest == null) {
      throw new SignatureException(
          what
              + ": signature uses hash algorithm "
              + sig.getHashAlgorithm()
              + ", which is not accepted (SHA-2 or SHA-3 only); refusing it");
    }
    sig.init(new BcPGPContentVerifierBuilderProvider(), key);
    sig.update(data);
    if (!sig.verify() || !prefixMatches(sig, data, digest))
      throw new SignatureException(
          what + ": BAD signature; the checksums were altered. Nothing was installed.");
    PGPPublicKey primary = keys.getPublicKeyRing(sig.getKeyID()).getPublicKey();
    Date made = sig.getCreationTime();
    validAt(key, made, what);
    if (primary != key) validAt(primary, made, what);
  }

  /** Where the first packet ends, from its header (RFC 4880 §4.2); -1 for partial lengths. */
  static long packetEnd(byte[] p) {
    if (p.length < 2 || (p[0] & 0x80) == 0) return -1;
    int b1 = p[1] & 0xff;
    if ((p[0] & 0x40) != 0) { // new format
      if (b1 < 192) return 2L + b1;
      if (b1 < 224) return p.length < 3 ? -1 : 3L + ((b1 - 192) << 8) + (p[2] & 0xff) + 192;
      if (b1 == 255)
        return p.length < 6 ? -1 : 6L + (ByteBuffer.wrap(p, 2, 4).getInt() & 0xffffffffL);
      return -1;
    }
    return switch (p[0] & 3) { // old format
      case 0 -> 2L + b1;
      case 1 -> p.length < 3 ? -1 : 3L + ((b1 << 8) | (p[2] & 0xff));
      case 2 -> p.length < 5 ? -1 : 5L + (ByteBuffer.wrap(p, 1, 4).getInt() & 0xffffffffL);
      default -> -1;
    };
  }

  private static final Map<Integer, String> DIGESTS =
      Map.of(
          HashAlgorithmTags.SHA224,
          "SHA-224",
          HashAlgorithmTags.SHA256,
          "SHA-256",
          HashAlgorithmTags.SHA384,
          "SHA-384",
          HashAlgorithmTags.SHA512,
          "SHA-512",
          HashAlgorithmTags.SHA3_256,
          "SHA3-256",
          HashAlgorithmTags.SHA3_512,
          "SHA3-512");

  /**
   * RFC 4880 §5.2.3: a signature carries the left 16 bits of the signed hash; gpg compares them,
   * BouncyCastle's verify() does not. A signature whose prefix was altered is refused too.
   */
  private static boolean prefixMatches(PGPSignature sig, byte[] data, String digest) {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    if (sig.getSignatureType() == PGPSignature.CANONICAL_TEXT_DOCUMENT) {
      // the line-end conversion PGPSignature.update applies to text signatures
      byte last = 0;
      for (byte b : data) {
        if (b == '\r' || (b == '\n' && last != '\r')) {
          md.update((byte) '\r');
          md.update((byte) '\n');
        } else if (b != '\n') {
          md.update(b);
        }
        last = b;
      }
    } else {
      md.update(data);
    }
    md.update(sig.getSignatureTrailer());
    byte[] h = md.digest();
    byte[] prefix = sig.getDigestPrefix();
    return prefix.length == 2 && h[0] == prefix[0] && h[1] == prefix[1];
  }

  /**
   * The key was valid when the signature was made: created before it, not yet expired, not revoked
   * by then. A signature made while a (sub)key was valid stays valid after the key expired
   * (HashiCorp's subkey B0B4 4109 7685 B676 expired 2022-04-20 and still verifies the releases it
   * signed; gpg says "Good signature … Note: This key has expired!"). A revocation for compromise,
   * or without a reason, voids every signature of the key (RFC 9580 §5.2.3.31: all its signatures
   * are suspect); "superseded" or "retired" only later ones.
   */
  private static void validAt(PGPPublicKey key, Date made, String what) {
    String id = Long.toHexString(key.getKeyID()).toUpperCase();
    if (made.before(key.getCreationTime())) {
      throw new SignatureException(
          what
              + ": signature dated "
              + made.toInstant()
              + " is older than key "
              + id
              + "; refusing it");
    }
    long valid = key.getValidSeconds();
    if (valid > 0) {
      Date expiry = new Date(key.getCreationTime().getTime() + valid * 1000);
      if (!made.before(expiry)) {
        throw new SignatureException(
            what
                + ": signed "
                + made.toInstant()
                + " by key "
                + id
                + ", which expired "
                + expiry.toInstant()
                + "; refusing it");
      }
    }
    int revocation =
        key.isMasterKey() ? PGPSignature.KEY_REVOCATION : PGPSignature.SUBKEY_REVOCATION;
    for (Iterator<PGPSignature> it = key.getSignaturesOfType(revocation); it.hasNext(); ) {
      PGPSignature rev = it.next();
      RevocationReason reason =
          rev.getHashedSubPackets() == null
              ? null
              : rev.getHashedSubPackets().getRevocationReason();
      byte code = reason == null ? RevocationReasonTags.NO_REASON : reason.getRevocationReason();
      boolean soft =
          code == RevocationReasonTags.KEY_SUPERSEDED || code == RevocationReasonTags.KEY_RETIRED;
      if (!soft || !made.before(rev.getCreationTime())) {
        throw new SignatureException(
            what
                + ": signed by key "
                + id
                + ", which was revoked "
                + rev.getCreationTime().toInstant()
                + (soft ? "" : " (compromised or without a reason)")
                + "; refusing it");
      }
    }
  }
}
