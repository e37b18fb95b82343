import { execFile } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

// The dev cluster's certificates, made with openssl exactly as tools/kube/smoke.sh proved them: one CA
// signs the API server's serving certificate and client certificates (system:masters for the admin);
// an RSA key signs service account tokens.

const run = promisify(execFile);

export interface Pki {
  dir: string;
  caCert: string;
  caKey: string;
  /** The API server's --cert-dir: it reads apiserver.crt and apiserver.key from there. */
  servingDir: string;
  saKey: string;
  saPub: string;
}

export interface ClientCertificate {
  cert: string;
  key: string;
}

export async function makePki(dir: string): Promise<Pki> {
  const servingDir = join(dir, "apiserver-certs");
  mkdirSync(servingDir, { recursive: true });
  const pki: Pki = {
    dir,
    caCert: join(dir, "ca.crt"),
    caKey: join(dir, "ca.key"),
    servingDir,
    saKey: join(dir, "sa.key"),
    saPub: join(dir, "sa.pub"),
  };
  await ecKey(pki.caKey);
  await openssl(["req", "-x509", "-new", "-key", pki.caKey, "-subj", "/CN=pulumi-cluster-runtime-dev-ca", "-days", "30", "-sha256",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", pki.caCert]);
  await sign(pki, join(servingDir, "apiserver"), "/CN=kube-apiserver", [
    "basicConstraints=critical,CA:FALSE",
    "keyUsage=critical,digitalSignature,keyEncipherment",
    "extendedKeyUsage=serverAuth",
    "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc",
  ]);
  await openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", pki.saKey]);
  await openssl(["pkey", "-in", pki.saKey, "-pubout", "-out", pki.saPub]);
  return pki;
}

/** A client certificate for `user` in `groups` ("system:masters" makes an admin). */
export async function clientCertificate(pki: Pki, user: string, groups: string[]): Promise<ClientCertificate> {
  const base = join(pki.dir, `user-${user.replace(/[^a-zA-Z0-9_-]/g, "_")}`);
  const subject = [...groups.map((g) => `/O=${g}`), `/CN=${user}`].join("");
  await sign(pki, base, subject, ["basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature,keyEncipherment", "extendedKeyUsage=clientAuth"]);
  return { cert: `${base}.crt`, key: `${base}.key` };
}

async function sign(pki: Pki, base: string, subject: string, extensions: string[]): Promise<void> {
  await ecKey(`${base}.key`);
  await openssl(["req", "-new", "-key", `${base}.key`, "-subj", subject, "-out", `${base}.csr`]);
  writeFileSync(`${base}.ext`, `${extensions.join("\n")}\n`);
  await openssl(["x509", "-req", "-in", `${base}.csr`, "-CA", pki.caCert, "-CAkey", pki.caKey, "-CAcreateserial",
    "-days", "30", "-sha256", "-extfile", `${base}.ext`, "-out", `${base}.crt`]);
  rmSync(`${base}.csr`);
  rmSync(`${base}.ext`);
}

function ecKey(path: string): Promise<void> {
  return openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", path]);
}

async function openssl(args: string[]): Promise<void> {
  try {
    await run("openssl", args);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? "";
    throw new Error(`openssl ${args[0]} failed: ${stderr.trim() || (error as Error).message}`);
  }
}
