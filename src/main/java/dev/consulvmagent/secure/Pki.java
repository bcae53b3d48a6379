package dev.consulvmagent.secure;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The mesh's certificates, as Consul's own {@code consul tls ca create} and {@code consul tls cert
 * create -server} make them (hashicorp/consul command/tls/ca/create and command/tls/cert/create,
 * tlsutil/generate.go): ECDSA P-256 keys signed with SHA-256; a CA with basic constraints CA:true
 * and key usage cert sign, CRL sign, digital signature; a server certificate for {@code
 * server.<dc>.<domain>} whose SANs are {@code <node>.server.<dc>.<domain>} (cert create's -node),
 * {@code server.<dc>.<domain>}, {@code localhost} and 127.0.0.1 plus the addresses and names the
 * operator adds (-additional-ipaddress, -additional-dnsname), with extended key usage server and
 * client auth (a server both accepts and makes RPC connections). BouncyCastle's PKIX builders do
 * the encoding; keys come from the JDK's own EC provider.
 */
public final class Pki {
  private Pki() {}

  /** Consul's defaults: CA 5 years (ca create -days 1825), certificates 1 year (-days 365). */
  public static final Duration CA_VALIDITY = Duration.ofDays(1825);

  public static final Duration CERT_VALIDITY = Duration.ofDays(365);

  private static final SecureRandom RANDOM = new SecureRandom();

  /** A new EC P-256 key pair. */
  public static KeyPair ecKeyPair() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("no EC P-256 in this JDK: " + e.getMessage(), e);
    }
  }

  /** A CA certificate for key, CN "Consul Agent CA &lt;serial&gt;" (as ca create names it). */
  public static X509Certificate ca(KeyPair key, String domain, Instant now) {
    BigInteger serial = serial();
    X500Name name =
        new X500NameBuilder(BCStyle.INSTANCE)
            .addRDN(BCStyle.CN, "Consul Agent CA " + serial)
            .addRDN(BCStyle.O, "consul-vm-agent")
            .build();
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      JcaX509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
              name,
              serial,
              Date.from(now.minus(Duration.ofMinutes(1))),
              Date.from(now.plus(CA_VALIDITY)),
              name,
              key.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      b.addExtension(
          Extension.keyUsage,
          true,
          new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature));
      b.addExtension(
          Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(key.getPublic()));
      b.addExtension(
          Extension.authorityKeyIdentifier,
          false,
          ext.createAuthorityKeyIdentifier(key.getPublic()));
      return sign(b, key.getPrivate());
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot build the CA certificate: " + e.getMessage(), e);
    }
  }

  /**
   * A server certificate signed by the CA: see the class comment for its names. ips and dnsNames
   * are the operator's additions (already checked).
   */
  public static X509Certificate server(
      X509Certificate ca,
      PrivateKey caKey,
      PublicKey serverKey,
      String node,
      String dc,
      String domain,
      List<String> ips,
      List<String> dnsNames,
      Instant now) {
    String name = "server." + dc + "." + domain;
    List<GeneralName> sans = new ArrayList<>();
    sans.add(new GeneralName(GeneralName.dNSName, node + "." + name));
    sans.add(new GeneralName(GeneralName.dNSName, name));
    sans.add(new GeneralName(GeneralName.dNSName, "localhost"));
    for (String d : dnsNames) sans.add(new GeneralName(GeneralName.dNSName, d));
    sans.add(new GeneralName(GeneralName.iPAddress, "127.0.0.1"));
    for (String ip : ips) sans.add(new GeneralName(GeneralName.iPAddress, ip));
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      BigInteger serial = serial();
      Instant notAfter = now.plus(CERT_VALIDITY);
      if (notAfter.isAfter(ca.getNotAfter().toInstant())) notAfter = ca.getNotAfter().toInstant();
      JcaX509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
              ca,
              serial,
              Date.from(now.minus(Duration.ofMinutes(1))),
              Date.from(notAfter),
              new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, name).build(),
              serverKey);
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      b.addExtension(
          Extension.keyUsage,
          true,
          new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
      b.addExtension(
          Extension.extendedKeyUsage,
          false,
          new ExtendedKeyUsage(
              new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
      b.addExtension(
          Extension.subjectAlternativeName,
          false,
          new GeneralNames(sans.toArray(new GeneralName[0])));
      b.addExtension(
          Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(serverKey));
      b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(ca));
      return sign(b, caKey);
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException(
          "cannot build the server certificate for " + node + ": " + e.getMessage(), e);
    }
  }

  /** The DNS and IP subject alternative names of a certificate, as text. */
  public static List<String> sans(X509Certificate c) {
    List<String> out = new ArrayList<>();
    try {
      Collection<List<?>> all = c.getSubjectAlternativeNames();
      if (all != null) for (List<?> e : all) out.add(String.valueOf(e.get(1)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
    return out;
  }

  private static X509Certificate sign(JcaX509v3CertificateBuilder b, PrivateKey key)
      throws GeneralSecurityException {
    try {
      X509CertificateHolder h = b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key));
      return new JcaX509CertificateConverter().getCertificate(h);
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException(e);
    }
  }

  /** A positive random 128-bit serial (RFC 5280: at most 20 octets, unique per CA). */
  private static BigInteger serial() {
    return new BigInteger(127, RANDOM).add(BigInteger.ONE);
  }

  /**
   * PEM text of a certificate, public key ("PUBLIC KEY") or private key (PKCS#8, "PRIVATE KEY":
   * JcaPEMWriter's SEC1 form of a JDK key would lack the curve; Go's crypto/tls, which Consul loads
   * key_file with, reads PKCS#8).
   */
  public static String pem(Object o) {
    StringWriter w = new StringWriter();
    try (JcaPEMWriter p = new JcaPEMWriter(w)) {
      if (o instanceof PrivateKey k) p.writeObject(new JcaPKCS8Generator(k, null));
      else p.writeObject(o);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return w.toString().replace("\r\n", "\n");
  }

  /** The certificate in PEM text; IllegalArgumentException naming what when it is not one. */
  public static X509Certificate certificate(String pem, String what) {
    Object o = parse(pem, what);
    if (!(o instanceof X509CertificateHolder h)) {
      throw new IllegalArgumentException(what + " is not a PEM certificate");
    }
    try {
      return new JcaX509CertificateConverter().getCertificate(h);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(what + " is not a valid certificate", e);
    }
  }

  /** An EC private key in PEM text (PKCS#8 or SEC1). */
  public static PrivateKey privateKey(String pem, String what) {
    Object o = parse(pem, what);
    try {
      if (o instanceof PEMKeyPair kp) return new JcaPEMKeyConverter().getKeyPair(kp).getPrivate();
      if (o instanceof PrivateKeyInfo i) return new JcaPEMKeyConverter().getPrivateKey(i);
    } catch (IOException e) {
      throw new IllegalArgumentException(what + " is not a valid key", e);
    }
    throw new IllegalArgumentException(what + " is not a PEM private key");
  }

  /** A public key in PEM text. */
  public static PublicKey publicKey(String pem, String what) {
    Object o = parse(pem, what);
    try {
      if (o instanceof SubjectPublicKeyInfo i) return new JcaPEMKeyConverter().getPublicKey(i);
    } catch (IOException e) {
      throw new IllegalArgumentException(what + " is not a valid public key", e);
    }
    throw new IllegalArgumentException(what + " is not a PEM public key");
  }

  private static Object parse(String pem, String what) {
    try (PEMParser p = new PEMParser(new StringReader(pem))) {
      Object o = p.readObject();
      if (o == null) throw new IllegalArgumentException(what + " holds no PEM block");
      return o;
    } catch (IOException | RuntimeException e) {
      if (e instanceof IllegalArgumentException i) throw i;
      throw new IllegalArgumentException(what + " cannot be read as PEM", e);
    }
  }
}
