/**
 * Test helper: a private Dovecot IMAP server (Debian package `dovecot-imapd`, binary
 * /usr/sbin/dovecot) as an independent real peer for our IMAP receiver. Runs as the current
 * user from a temporary folder (base_dir, state, logs, Maildir), IMAPS only on loopback, TLS
 * required with a client certificate verified against the test CA (`ssl_require_crl = no`: the
 * test CA publishes no CRL), one passwd-file user. Without dovecot the tests that need it are
 * skipped with `DOVECOT_SKIP_REASON`, except in CI (`CI=true`), where it is a failure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile, rename } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { TestPki } from '../../src/platform/pki/index.ts';

export const DOVECOT_BINARY = '/usr/sbin/dovecot';
export const DOVECOT_SKIP_REASON = 'skipped: dovecot not installed — apt-get install -y dovecot-imapd';

/** True when dovecot is installed; throws when CI=true and it is not. */
export function requireDovecot(): boolean {
  const available = existsSync(DOVECOT_BINARY);
  if (!available && process.env.CI === 'true') throw new Error('dovecot is required when CI=true (apt-get install -y dovecot-imapd)');
  return available;
}

export interface DovecotInstance {
  port: number;
  user: string;
  password: string;
  /** Delivers a raw message into the user's Maildir (tmp/ then new/, as an MDA does). */
  deliver(raw: Buffer): Promise<void>;
  log(): Promise<string>;
  stop(): Promise<void>;
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

const portOpen = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const c = connect(port, '127.0.0.1');
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });

export async function startDovecot(pki: TestPki, user: string, password = 'secret-dovecot'): Promise<DovecotInstance> {
  const dir = await mkdtemp(path.join(tmpdir(), 'passerelle-dovecot-'));
  const port = await freePort();
  const me = userInfo();
  // As root (CI containers), Dovecot refuses root login and mail processes: use the package's
  // unprivileged users (dovenull for logins, dovecot for internal services and the mailbox).
  const asRoot = me.uid === 0;
  const idOf = (name: string, flag: '-u' | '-g'): number => Number(execFileSync('id', [flag, name], { encoding: 'utf8' }).trim());
  const mailUid = asRoot ? idOf('dovecot', '-u') : me.uid;
  const mailGid = asRoot ? idOf('dovecot', '-g') : me.gid;
  const loginUser = asRoot ? 'dovenull' : me.username;
  const internalUser = asRoot ? 'dovecot' : me.username;
  const group = asRoot ? 'dovecot' : String(me.gid);
  await chmod(dir, 0o755);
  const home = path.join(dir, 'home');
  const maildir = path.join(home, 'Maildir');
  for (const sub of ['tmp', 'new', 'cur']) await mkdir(path.join(maildir, sub), { recursive: true });
  if (asRoot) for (const p of [home, maildir, ...['tmp', 'new', 'cur'].map((s) => path.join(maildir, s))]) await chown(p, mailUid, mailGid);
  await mkdir(path.join(dir, 'run'), { recursive: true });
  await mkdir(path.join(dir, 'state'), { recursive: true });
  await writeFile(path.join(dir, 'server.crt'), pki.server.cert);
  await writeFile(path.join(dir, 'server.key'), pki.server.key, { mode: 0o600 });
  await writeFile(path.join(dir, 'ca.crt'), pki.ca.cert);
  await writeFile(path.join(dir, 'passwd'), `${user}:{PLAIN}${password}:${mailUid}:${mailGid}::${home}\n`);
  const config = `
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <${dir}/server.crt
ssl_key = <${dir}/server.key
ssl_ca = <${dir}/ca.crt
ssl_verify_client_cert = yes
ssl_require_crl = no
auth_ssl_require_client_cert = yes
disable_plaintext_auth = yes
auth_mechanisms = plain login
default_login_user = ${loginUser}
default_internal_user = ${internalUser}
default_internal_group = ${group}
first_valid_uid = ${mailUid}
first_valid_gid = ${mailGid}
mail_location = maildir:${maildir}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%u ${dir}/passwd
}
service imap-login {
  chroot =
  user = ${loginUser}
  inet_listener imap {
    port = 0
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = ${port}
    ssl = yes
  }
}
service anvil {
  chroot =
}
service stats {
  unix_listener stats-writer {
    mode = 0666
  }
}
`;
  await writeFile(path.join(dir, 'dovecot.conf'), config);
  const child: ChildProcess = spawn(DOVECOT_BINARY, ['-F', '-c', path.join(dir, 'dovecot.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const log = async (): Promise<string> => output + (existsSync(path.join(dir, 'dovecot.log')) ? await readFile(path.join(dir, 'dovecot.log'), 'utf8') : '');
  const deadline = Date.now() + 10_000;
  while (!(await portOpen(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      const text = await log();
      child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
      throw new Error(`dovecot did not start: ${text.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    user,
    password,
    async deliver(raw) {
      const name = `${Date.now()}.${randomUUID().slice(0, 8)}.passerelle-test`;
      await writeFile(path.join(maildir, 'tmp', name), raw, { mode: 0o644 });
      await rename(path.join(maildir, 'tmp', name), path.join(maildir, 'new', name));
    },
    log,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
