/** TLS credentials for a {@link PresenceClient}, from PEM files. */
import { readFileSync } from "node:fs";

import { type ChannelCredentials, credentials } from "@grpc/grpc-js";

/** PEM files for TLS (`ca`) and mutual TLS (`cert` and `key`, both or neither). */
export interface TlsFiles {
  /** CA certificate(s) the server's certificate must chain to; system roots when left out. */
  readonly ca?: string;
  /** The client's certificate, for a server that requires one (mutual TLS). */
  readonly cert?: string;
  /** The private key of `cert`. */
  readonly key?: string;
}

/**
 * Channel credentials for a server that speaks TLS or mutual TLS.
 *
 * The files are read now, once: a renewed certificate needs a new client.
 * Throws when only one of `cert` and `key` is given, or a file cannot be read.
 *
 * ```ts
 * const client = new PresenceClient("presence:50051", {
 *   tls: { ca: "ca.pem", cert: "client.pem", key: "client-key.pem" },
 * });
 * ```
 */
export function tlsCredentials(files: TlsFiles = {}): ChannelCredentials {
  if ((files.cert === undefined) !== (files.key === undefined)) {
    throw new TypeError("tls: cert and key go together; give both or neither");
  }
  const read = (path: string | undefined): Buffer | null =>
    path === undefined ? null : readFileSync(path);
  return credentials.createSsl(read(files.ca), read(files.key), read(files.cert));
}
