/**
 * The Node client over TLS and mutual TLS, against real presence-server
 * processes started with the PRESENCE_TLS_* settings.
 */
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { after, before, describe, it } from "node:test";

import { type ClientOptions, NO_RETRY, PresenceClient, UnavailableError } from "../src/index.js";
import { type Pki, writePki } from "./helpers/certs.js";
import { ServerProcess } from "./helpers/server.js";

// A refused handshake fails at once: no retry, nothing to wait for.
const QUICK: ClientOptions = { retry: NO_RETRY, timeoutMs: 10_000 };

async function statusTypeIds(address: string, options: ClientOptions): Promise<string[]> {
  const client = new PresenceClient(address, { ...QUICK, ...options });
  try {
    return (await client.statusTypes.list()).map((t) => t.id);
  } finally {
    client.close();
  }
}

describe("TLS", () => {
  let pki: Pki;
  let tls: ServerProcess;
  let mtls: ServerProcess;

  before(async () => {
    pki = writePki();
    const serverFiles = {
      PRESENCE_TLS_CERT_FILE: pki.serverCert,
      PRESENCE_TLS_KEY_FILE: pki.serverKey,
    };
    [tls, mtls] = await Promise.all([
      ServerProcess.start({ env: serverFiles }),
      ServerProcess.start({ env: { ...serverFiles, PRESENCE_TLS_CLIENT_CA_FILE: pki.ca } }),
    ]);
  });

  after(async () => {
    await Promise.all([tls.dispose(), mtls.dispose()]);
    rmSync(pki.dir, { recursive: true, force: true });
  });

  it("calls a TLS server that says so, trusting its CA", async () => {
    const ids = await statusTypeIds(tls.address, { tls: { ca: pki.ca } });

    assert.ok(ids.includes("available"));
    assert.ok(tls.output.some((line) => line.includes(`listening on ${tls.address}, tls,`)));
  });

  it("calls an mTLS server with a client certificate of its CA", async () => {
    const files = { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey };

    const ids = await statusTypeIds(mtls.address, { tls: files });

    assert.ok(ids.includes("available"));
    assert.ok(mtls.output.some((line) => line.includes(`listening on ${mtls.address}, mtls,`)));
  });

  it("is refused by a TLS server when it speaks plaintext", async () => {
    await assert.rejects(statusTypeIds(tls.address, {}), UnavailableError);
  });

  it("refuses a TLS server whose CA it does not trust", async () => {
    await assert.rejects(
      statusTypeIds(tls.address, { tls: { ca: pki.foreignCa } }),
      UnavailableError,
    );
  });

  it("is refused by an mTLS server without a client certificate", async () => {
    await assert.rejects(statusTypeIds(mtls.address, { tls: { ca: pki.ca } }), UnavailableError);
  });

  it("is refused by an mTLS server with a certificate of another CA", async () => {
    const files = { ca: pki.ca, cert: pki.foreignClientCert, key: pki.foreignClientKey };

    await assert.rejects(statusTypeIds(mtls.address, { tls: files }), UnavailableError);
  });

  it("will not take a client certificate without its key", () => {
    assert.throws(
      () => new PresenceClient(mtls.address, { tls: { ca: pki.ca, cert: pki.clientCert } }),
      /cert and key go together/,
    );
  });
});
