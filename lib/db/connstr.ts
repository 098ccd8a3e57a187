import type pg from 'pg';

/**
 * Connection settings from a libpq connection string, in either form
 * londiste3 users write: a URL (postgres://user:pw@host:port/db?sslmode=...)
 * or keyword/value pairs (host=... dbname=... user=... password='a b').
 */
export function clientConfig(connstr: string): pg.ClientConfig {
  const s = connstr.trim();
  if (/^postgres(ql)?:\/\//i.test(s)) {
    // pg lets a URL's options replace any given beside it: take them out, to be merged.
    let u: URL;
    try {
      u = new URL(s);
    } catch {
      // Node's own error carries the whole input, password included.
      throw new Error('Invalid connection string: not a valid postgres:// URL');
    }
    if (u.port !== '' && !validPort(u.port)) throw new Error('Invalid connection string: the port must be a number from 1 to 65535');
    const options = u.searchParams.get('options');
    if (options === null) return { connectionString: s };
    u.searchParams.delete('options');
    return { connectionString: u.toString(), options };
  }
  const cfg: pg.ClientConfig = {};
  // A quoted value ends at its closing quote; an unquoted one may not start with a quote.
  const re = /\s*([A-Za-z_]+)\s*=\s*('((?:[^'\\]|\\.)*)'|([^\s']\S*|(?=\s|$)))/gy;
  let m: RegExpExecArray | null;
  let pos = 0;
  while (pos < s.length && (m = re.exec(s)) !== null) {
    pos = re.lastIndex;
    const key = m[1]!.toLowerCase();
    const value = m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : m[4]!;
    switch (key) {
      case 'host': case 'hostaddr': cfg.host = value; break;
      case 'port':
        if (!validPort(value)) throw new Error('Invalid connection string: the port must be a number from 1 to 65535');
        cfg.port = Number(value);
        break;
      case 'dbname': cfg.database = value; break;
      case 'user': cfg.user = value; break;
      case 'password': cfg.password = value; break;
      case 'application_name': cfg.application_name = value; break;
      case 'connect_timeout':
        if (!/^\d+$/.test(value)) throw new Error('Invalid connection string: connect_timeout must be a number of seconds');
        cfg.connectionTimeoutMillis = Number(value) * 1000;
        break;
      case 'options': cfg.options = value; break;
      case 'sslmode':
        if (value === 'require' || value === 'prefer') cfg.ssl = { rejectUnauthorized: false };
        else if (value === 'verify-ca' || value === 'verify-full') cfg.ssl = true;
        break;
      default: break; // other libpq settings have no pg equivalent and do not change the target
    }
  }
  if (s.slice(pos).trim() !== '') {
    throw new Error(/^'/.test(s.slice(pos).replace(/^\s*[A-Za-z_]+\s*=\s*/, ''))
      ? 'Invalid connection string: unterminated quoted value'
      : 'Invalid connection string (expected a URL or key=value pairs)');
  }
  return cfg;
}

const validPort = (v: string) => /^\d{1,5}$/.test(v) && Number(v) >= 1 && Number(v) <= 65535;
