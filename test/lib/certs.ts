/**
 * Test certificates made at test time with the `openssl` command-line tool: a CA, a server
 * certificate for `localhost`/`127.0.0.1`, a client certificate `CN=audit-client`, and from a
 * second, untrusted CA a client certificate with the same name (it must be refused) plus that CA
 * itself (a client that trusts only it must refuse the real server).
 *
 * Keys are EC P-256: rsyslog's GnuTLS driver (gtls) accepts them, and making them takes a few
 * milliseconds where RSA would take a noticeable part of a second per key. Nothing is read from
 * outside the folder: `OPENSSL_CONF` points at a configuration file written there, so a host's
 * `/etc/ssl/openssl.cnf` cannot change the result.
 */
import { execFile } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * Paths of the PEM files {@link generateTestCerts} wrote; every file is in {@link TestCerts.dir}.
 *
 * @example
 * ```ts
 * // a client that must refuse the server: it trusts only the other CA
 * tls.connect({ port, host: "127.0.0.1", servername: "localhost", ca: readFileSync(certs.wrongCaCert) });
 * ```
 */
export interface TestCerts {
  /** The folder holding every file below. */
  readonly dir: string;
  /** The CA that signed the server and client certificates: rsyslog trusts it, clients verify the server with it. */
  readonly caCert: string;
  /** The CA's private key (to sign more certificates in a test). */
  readonly caKey: string;
  /** Server certificate: CN=localhost, SAN DNS:localhost and IP:127.0.0.1, extendedKeyUsage serverAuth. */
  readonly serverCert: string;
  /** The server certificate's private key (PKCS#8, unencrypted). */
  readonly serverKey: string;
  /** Client certificate: CN=audit-client, extendedKeyUsage clientAuth, signed by {@link TestCerts.caCert}. */
  readonly clientCert: string;
  /** The client certificate's private key. */
  readonly clientKey: string;
  /** A second CA that signed nothing the server trusts: a client verifying the server with it must refuse it. */
  readonly wrongCaCert: string;
  /** Client certificate with the right name (CN=audit-client, clientAuth) but signed by {@link TestCerts.wrongCaCert}. */
  readonly wrongClientCert: string;
  /** The wrong client certificate's private key. */
  readonly wrongClientKey: string;
}

/** The only OpenSSL configuration used: the sections `req` needs and the extensions of each kind of certificate. */
const OPENSSL_CNF = `[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[client_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;

/**
 * Writes a fresh set of test certificates into `dir` (created if needed) and returns their paths.
 * Valid from now for 2 days. Needs the `openssl` command (Debian package `openssl`).
 *
 * @example
 * ```ts
 * const certs = await generateTestCerts(join(tempDir(t), "certs"));
 * const socket = tls.connect({ port, host: "127.0.0.1", servername: "localhost",
 *   ca: readFileSync(certs.caCert), cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) });
 * ```
 */
export async function generateTestCerts(dir: string): Promise<TestCerts> {
  mkdirSync(dir, { recursive: true });
  const cnf = join(dir, "openssl.cnf");
  writeFileSync(cnf, OPENSSL_CNF);
  const env = { ...process.env, OPENSSL_CONF: cnf };
  const p = (name: string): string => join(dir, name);
  const openssl = async (...args: string[]): Promise<void> => {
    try {
      await run("openssl", args, { env, cwd: dir });
    } catch (e) {
      const err = e as NodeJS.ErrnoException & { stderr?: string };
      const why = err.code === "ENOENT" ? "the openssl command is missing (Debian package openssl)" : (err.stderr ?? err.message);
      throw new Error(`openssl ${args.join(" ")} failed: ${why}`);
    }
  };
  const newKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  const selfSignedCa = (name: string, cn: string): Promise<void> =>
    openssl("req", "-x509", "-new", ...newKey, "-keyout", p(`${name}.key`), "-out", p(`${name}.pem`),
      "-subj", `/CN=${cn}`, "-days", "2", "-extensions", "ca_ext");
  let serial = 1;
  const issue = async (name: string, cn: string, ca: string, ext: string): Promise<void> => {
    await openssl("req", "-new", ...newKey, "-keyout", p(`${name}.key`), "-out", p(`${name}.csr`), "-subj", `/CN=${cn}`);
    await openssl("x509", "-req", "-in", p(`${name}.csr`), "-CA", p(`${ca}.pem`), "-CAkey", p(`${ca}.key`),
      "-set_serial", String(serial++), "-days", "2", "-out", p(`${name}.pem`), "-extfile", cnf, "-extensions", ext);
  };
  await Promise.all([selfSignedCa("ca", "slf4ts test CA"), selfSignedCa("wrong-ca", "slf4ts untrusted CA")]);
  await Promise.all([
    issue("server", "localhost", "ca", "server_ext"),
    issue("client", "audit-client", "ca", "client_ext"),
    issue("wrong-client", "audit-client", "wrong-ca", "client_ext"),
  ]);
  return {
    dir,
    caCert: p("ca.pem"),
    caKey: p("ca.key"),
    serverCert: p("server.pem"),
    serverKey: p("server.key"),
    clientCert: p("client.pem"),
    clientKey: p("client.key"),
    wrongCaCert: p("wrong-ca.pem"),
    wrongClientCert: p("wrong-client.pem"),
    wrongClientKey: p("wrong-client.key"),
  };
}
