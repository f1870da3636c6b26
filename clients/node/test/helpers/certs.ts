/**
 * Test certificates for the TLS tests, made fresh by the Python test helper
 * (`tests/helpers/certs.py`, on `cryptography`), so both suites share one
 * recipe: a CA, a server certificate for 127.0.0.1 and localhost, a client
 * certificate from the same CA, and one from a foreign CA.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { REPO } from "./server.js";

export interface Pki {
  readonly dir: string;
  readonly ca: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  readonly foreignCa: string;
  readonly foreignClientCert: string;
  readonly foreignClientKey: string;
}

function python(): string {
  const venv = join(REPO, ".venv", "bin", "python");
  return existsSync(venv) ? venv : "python3";
}

/** Write the certificates to a new temporary directory; their paths. */
export function writePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), "presence-pki-"));
  execFileSync(python(), ["-m", "tests.helpers.certs", dir], { cwd: REPO, timeout: 60_000 });
  const at = (name: string): string => join(dir, name);
  return {
    dir,
    ca: at("ca.pem"),
    serverCert: at("server.pem"),
    serverKey: at("server-key.pem"),
    clientCert: at("client.pem"),
    clientKey: at("client-key.pem"),
    foreignCa: at("foreign-ca.pem"),
    foreignClientCert: at("foreign-client.pem"),
    foreignClientKey: at("foreign-client-key.pem"),
  };
}
