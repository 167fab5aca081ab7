/**
 * `passerelle demo`: the platform end to end on loopback. Starts the platform with its
 * sandboxes and a demo PAM subscriber (a "DPI" MLLP listener), then — through the HTTP API,
 * as hospital staff would —
 * 1. identity referential: enters the demo identities, records the identity document, queries
 *    INSi, and prints the outcome and the PAM messages the subscriber received;
 * 2. document chain (demo-documents.ts): validates exit documents for the ANS test patient and
 *    prints, per document and channel (DMP, MSSanté pro, MSSanté patient), the final status;
 *    a laboratory's CR-BIO received by MSSanté is integrated in her record.
 * Exits 0 only if every outcome is the expected one and every status is delivered.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { startApp } from '../app.ts';
import { buildAck, messageHeader, parse, serialize } from '../formats/hl7v2/index.ts';
import { DEMO_IDENTITIES } from '../identity/index.ts';
import { loadConfig } from '../platform/config.ts';
import { createLogger } from '../platform/logging.ts';
import { createMllpServer } from '../platform/mllp/index.ts';
import { runDocumentChain } from './demo-documents.ts';

async function api<T>(base: string, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', 'x-passerelle-user': 'demo-identitovigilance' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = await response.json() as T & { detail?: string };
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${json.detail ?? ''}`);
  return json;
}

export function registerDemoCommand(program: Command): void {
  program.command('demo')
    .description('Run the platform end to end against its sandboxes: identities qualified (INSi, PAM), exit documents sent to the DMP and by MSSanté, a lab report received')
    .option('--data-dir <dir>', 'data directory (default: a temporary one, removed afterwards)')
    .option('--verbose', 'print the platform logs')
    .action(async (options: { dataDir?: string; verbose?: boolean }) => {
      const dataDir = options.dataDir ?? await mkdtemp(join(tmpdir(), 'passerelle-demo-'));
      const received: string[] = [];
      const subscriber = createMllpServer({
        handler: async (raw) => {
          const text = raw.toString('utf8');
          received.push(text);
          const parsed = parse(text);
          if (!parsed.ok) return undefined;
          return Buffer.from(serialize(buildAck(parsed.value, { code: 'AA', controlId: `DPI${received.length}`, timestamp: new Date() }), { segmentSeparator: '\r' }));
        },
      });
      const subscriberPort = await subscriber.listen(0);
      const config = loadConfig(process.env, {
        dataDir, 'http.port': 0, 'mllp.port': 0, 'sandbox.insiPort': 0, 'sandbox.annuairePort': 0, 'sandbox.dmpPort': 0, 'sandbox.smtpPort': 0, 'sandbox.imapPort': 0, 'sandbox.enabled': true,
        logLevel: options.verbose ? 'info' : 'warn',
        'pam.subscribers': [{ name: 'DPI', host: '127.0.0.1', port: subscriberPort }],
      });
      const app = await startApp({ config, logger: createLogger(config.logLevel) });
      const base = `http://127.0.0.1:${app.ports.http}`;
      let failures = 0;
      try {
        console.log(`Plateforme : ${base} (API, /docs) — MLLP ${app.ports.mllp} — INSi bac à sable ${app.insiSandbox?.url}`);
        console.log(`Abonné PAM de démonstration « DPI » : MLLP 127.0.0.1:${subscriberPort}\n`);
        for (const demo of DEMO_IDENTITIES) {
          const label = `${demo.traits.birthName} ${demo.traits.birthGivenNames}`;
          const { identity } = await api<{ identity: { id: string } }>(base, 'POST', '/api/identities', { traits: demo.traits });
          await api(base, 'POST', `/api/identities/${identity.id}/proofs`, { type: demo.proof });
          const result = await api<{ outcome: string; message: string; calls: number; identity: { status: string; ins?: { matricule: string } } }>(
            base, 'POST', `/api/identities/${identity.id}/insi`, { givenNames: demo.givenNames });
          const ok = result.outcome === demo.expected.outcome && result.identity.status === demo.expected.status
            && result.identity.ins?.matricule === demo.expected.matricule;
          if (!ok) failures++;
          console.log(`${ok ? '✔' : '✘'} ${label.padEnd(30)} INSi ${result.outcome} (${result.calls} appel${result.calls > 1 ? 's' : ''}) → ${result.identity.status}`
            + `${result.identity.ins ? ` INS ${result.identity.ins.matricule}` : ''}\n    ${result.message}`);
        }
        const deadline = Date.now() + 20_000;
        let backlog = Infinity;
        while (Date.now() < deadline) {
          const { queues } = await api<{ queues: Array<{ queue: string; pending: number; running: number }> }>(base, 'GET', '/api/outbox');
          backlog = queues.reduce((n, q) => n + q.pending + q.running, 0);
          if (backlog === 0) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        if (backlog !== 0) { failures++; console.log(`✘ ${backlog} message(s) PAM encore en attente`); }
        console.log(`\nMessages PAM reçus par l’abonné DPI : ${received.length}`);
        for (const text of received) {
          const parsed = parse(text);
          const msh = parsed.ok ? messageHeader(parsed.value) : undefined;
          console.log(`\n— ${msh ? `${msh.messageType.code}^${msh.messageType.trigger} (MSH-10 ${msh.controlId})` : 'message illisible'}`);
          console.log(text.replace(/\r/g, '\n').trimEnd().split('\n').map((l) => `  ${l}`).join('\n'));
        }
        failures += await runDocumentChain((method, path, body) => api(base, method, path, body), app);
      } finally {
        await app.stop();
        await subscriber.close();
        if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
      }
      console.log(failures === 0 ? '\nDémonstration réussie.' : `\n${failures} écart(s) par rapport au résultat attendu.`);
      process.exitCode = failures === 0 ? 0 : 1;
    });
}
