import { clientConfig } from './connstr.ts';

/** The password in a connection string (URL or key=value), if any. */
function passwordOf(connstr: string): string | undefined {
  try {
    const cfg = clientConfig(connstr);
    if (cfg.connectionString) {
      const u = new URL(cfg.connectionString);
      return u.password ? decodeURIComponent(u.password) : undefined;
    }
    return typeof cfg.password === 'string' ? cfg.password : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `text` with the passwords of these connection strings replaced by ***.
 * Messages are built not to carry them (see redactUrl); this is the last
 * guard before a long-running process writes an error to its log.
 */
export function hideSecrets(text: string, connstrs: string[]): string {
  let out = text;
  for (const c of connstrs) {
    const pw = passwordOf(c);
    if (!pw) continue;
    out = out.split(pw).join('***');
    const encoded = encodeURIComponent(pw);
    if (encoded !== pw) out = out.split(encoded).join('***');
  }
  return out;
}
