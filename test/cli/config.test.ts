import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadNodeConfig, parseNodeConfig } from '../../lib/config.ts';
import { clientConfig } from '../../lib/db/connstr.ts';
import { redactUrl } from '../../lib/db/connect.ts';

describe('node config files', () => {
  it('reads a londiste3 ini with references, comments and libpq strings', () => {
    const c = parseNodeConfig(
      `; the provider
[londiste3]
job_name = src_digoal_01
db = host=172.16.3.150 port=1919 user=digoal dbname=digoal_01   ; inline comment
queue_name = replika
logfile = /home/postgres/londiste3/log/%(job_name)s.log
pidfile = %(logfile)s.pid
parallel_copies = 2
`, 'test.ini');
    expect(c).toEqual({
      jobName: 'src_digoal_01',
      db: 'host=172.16.3.150 port=1919 user=digoal dbname=digoal_01',
      queueName: 'replika',
      settings: {
        logfile: '/home/postgres/londiste3/log/src_digoal_01.log',
        pidfile: '/home/postgres/londiste3/log/src_digoal_01.log.pid',
        parallel_copies: '2',
      },
    });
    expect(parseNodeConfig('[lambdiste]\njob_name=a\ndb=postgres://x/y\nqueue_name=q\n', 'x').jobName).toBe('a');
  });

  it('names the file and the problem', () => {
    expect(() => parseNodeConfig('[londiste3]\njob_name = a\nqueue_name = q\n', 'Config file n.ini')).toThrow(
      'Config file n.ini: missing key "db" in section [londiste3]',
    );
    expect(() => parseNodeConfig('[other]\nx=1\n', 'f.ini')).toThrow('f.ini: no [londiste3] section');
    expect(() => parseNodeConfig('[londiste3]\njob_name=\ndb=x\nqueue_name=q\n', 'f.ini')).toThrow('key "job_name" in section [londiste3] is empty');
    expect(() => parseNodeConfig('[londiste3]\njob_name=%(nope)s\ndb=x\nqueue_name=q\n', 'f.ini')).toThrow('unknown reference %(nope)s');
    expect(() => parseNodeConfig('[londiste3]\njob_name=%(a)s\na=%(job_name)s\ndb=x\nqueue_name=q\n', 'f.ini')).toThrow('reference loop');
    expect(() => loadNodeConfig('/nonexistent/x.ini')).toThrow('Cannot read config file /nonexistent/x.ini: ENOENT');
  });

  it('loads from a file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lambdiste-cfg-'));
    writeFileSync(join(dir, 'n.ini'), '[londiste3]\njob_name = n\ndb = dbname=x\nqueue_name = q\n');
    expect(loadNodeConfig(join(dir, 'n.ini')).db).toBe('dbname=x');
  });
});

describe('connection strings', () => {
  it('understands libpq key=value strings with quoting, and URLs', () => {
    expect(clientConfig(`host=h port=6543 dbname='my db' user=u password='p\\'w d' sslmode=require`)).toEqual({
      host: 'h', port: 6543, database: 'my db', user: 'u', password: "p'w d", ssl: { rejectUnauthorized: false },
    });
    expect(clientConfig('postgres://u:p@h/d')).toEqual({ connectionString: 'postgres://u:p@h/d' });
    expect(() => clientConfig('host=h garbage')).toThrow('Invalid connection string');
  });

  it('never shows a password', () => {
    expect(redactUrl('postgres://u:secret@h:5432/d')).not.toContain('secret');
    expect(redactUrl("host=h password=secret user=u")).not.toContain('secret');
    expect(redactUrl("host=h password='a secret' user=u")).not.toContain('secret');
  });
});
