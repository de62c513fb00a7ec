import {readFile} from 'node:fs/promises';

import {redactUrl} from '../domain/redact.js';

export interface NetworkSettings {
  /** The proxy that requests to the URL go through (credentials masked), or null. */
  proxy: string | null;
  /** NODE_EXTRA_CA_CERTS, when set. */
  caFile: string | null;
  /** Certificates in it; 0 when it cannot be read or holds none. */
  caCertificates: number;
  /** Why the CA file is of no use, in a sentence, or null. */
  caProblem: string | null;
}

/** What the HTTP client will do for `url`: the proxy from HTTPS_PROXY / NO_PROXY, the extra CAs. */
export async function networkSettings(url: string, env: NodeJS.ProcessEnv = process.env): Promise<NetworkSettings> {
  const {getProxyForUrl} = await import('proxy-from-env');
  const proxy = getProxyForUrl(url);
  const caFile = env.NODE_EXTRA_CA_CERTS || null;
  let caCertificates = 0;
  let caProblem: string | null = null;
  if (caFile) {
    try {
      caCertificates = ((await readFile(caFile, 'utf8')).match(/-----BEGIN CERTIFICATE-----/g) ?? []).length;
      if (!caCertificates) caProblem = `NODE_EXTRA_CA_CERTS names ${caFile}, which holds no PEM certificate.`;
    } catch (error) {
      caProblem = `NODE_EXTRA_CA_CERTS names ${caFile}, which cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`;
    }
  }
  return {proxy: proxy ? redactUrl(proxy) : null, caFile, caCertificates, caProblem};
}
