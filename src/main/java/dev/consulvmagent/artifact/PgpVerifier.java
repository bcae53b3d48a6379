package dev.consulvmagent.artifact;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.bouncycastle.bcpg.ArmoredInputStream;
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
      throw new IllegalArgumentException("cannot read the pinned OpenPGP key: " + e.getMessage(), e);
    }
    if (!keys.getKeyRings().hasNext()) throw new IllegalArgumentException("the pinned OpenPGP key ring is empty");
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

  /** Verifies a detached signature (binary or armored) over data; throws when it does not verify. */
  public void verifyDetached(byte[] data, byte[] signature, String what) {
    try (InputStream in = PGPUtil.getDecoderStream(new ByteArrayInputStream(signature))) {
      PGPSignature sig = firstSignature(new BcPGPObjectFactory(in).nextObject(), what);
      check(sig, data, what);
    } catch (IOException | PGPException e) {
      throw new SignatureException(what + ": signature cannot be read: " + e.getMessage());
    }
  }

  /** Verifies a clearsigned document and returns its signed text. */
  public String verifyClearsigned(byte[] document, String what) {
    try (ArmoredInputStream ain = ArmoredInputStream.builder().build(new ByteArrayInputStream(document))) {
      if (!ain.isClearText()) throw new SignatureException(what + ": not a clearsigned document");
      ByteArrayOutputStream text = new ByteArrayOutputStream();
      int ch;
      while ((ch = ain.read()) >= 0 && ain.isClearText()) text.write(ch);
      byte[] raw = text.toByteArray();
      PGPSignature sig = firstSignature(new BcPGPObjectFactory(ain).nextObject(), what);
      check(sig, canonical(raw), what);
      return new String(raw, StandardCharsets.UTF_8);
    } catch (IOException | PGPException e) {
      throw new SignatureException(what + ": clearsigned document cannot be read: " + e.getMessage());
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

  private static PGPSignature firstSignature(Object o, String what) throws PGPException, IOException {
    if (o instanceof PGPCompressedData c) o = new BcPGPObjectFactory(c.getDataStream()).nextObject();
    if (!(o instanceof PGPSignatureList list) || list.isEmpty()) throw new SignatureException(what + ": no OpenPGP signature found");
    return list.get(0);
  }

  private void check(PGPSignature sig, byte[] data, String what) throws PGPException {
    PGPPublicKey key = keys.getPublicKey(sig.getKeyID());
    if (key == null) {
      throw new SignatureException(what + ": signed by key " + Long.toHexString(sig.getKeyID()).toUpperCase()
          + ", which is not the pinned release key; refusing it");
    }
    sig.init(new BcPGPContentVerifierBuilderProvider(), key);
    sig.update(data);
    if (!sig.verify()) throw new SignatureException(what + ": BAD signature; the checksums were altered. Nothing was installed.");
  }
}
