/**
 * A platform process that dies at the worst moment of a sending, for the exchange crash
 * tests: it validates an LDL for PAT-TROIS, waits until the national service has stored it —
 * the sandbox is configured to answer only seconds later — and kills itself with SIGKILL
 * before the answer reaches the platform, so the dispatch is never marked sent or delivered.
 * The outbox lease must outlast the delay, or the process would claim the job again itself.
 * - `dmp`: the DMP channel alone (the patient's mailbox blocked; no correspondent), killed once
 *   the DMP sandbox registered the document;
 * - `mssante`: the correspondent's mailbox alone (DMP and patient blocked), killed once the
 *   MSSanté operator sandbox delivered the message to `CORRESPONDENT`.
 * Usage: tsx crash-platform.ts dmp|mssante <config-overrides-json>; prints `published <documentId> <cdaId>`.
 */
import { eq } from 'drizzle-orm';
import { startApp } from '../../src/app.ts';
import { dmpSandboxEntries } from '../../src/national/dmp/tables.ts';
import { loadConfig } from '../../src/platform/config.ts';
import { silentLogger } from '../../src/platform/logging.ts';

const CORRESPONDENT = 'adam.hoda@test-ci-sis.mssante.fr';

const channel = process.argv[2];
if (channel !== 'dmp' && channel !== 'mssante') throw new Error(`channel ${channel}: dmp or mssante`);
const overrides = JSON.parse(process.argv[3]!) as Record<string, unknown>;
const config = loadConfig({}, overrides);
const app = await startApp({ config, logger: silentLogger });
const url = `http://127.0.0.1:${app.ports.http}`;
const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
  const response = await fetch(`${url}${path}`, { method, headers: { 'content-type': 'application/json', 'x-passerelle-user': 'crash-test' }, body: JSON.stringify(body ?? {}) });
  return await response.json() as T;
};
const doctor = { rpps: '10001234567', family: 'MEDECIN', given: 'Jean', specialty: 'G15_10/SM26' };
const { identity } = await api<{ identity: { id: string } }>('POST', '/api/identities', { traits: { birthName: 'PAT-TROIS', birthGivenNames: 'DOMINIQUE', birthDate: '1979-03-28', sex: 'F' } });
await api('POST', `/api/identities/${identity.id}/proofs`, { type: 'CN' });
await api('POST', `/api/identities/${identity.id}/insi`, {});
const draft = await api<{ id: string }>('POST', '/api/documents', {
  identityId: identity.id, type: 'ldl', author: doctor, sections: [{ heading: 'Motif', paragraphs: ['Pneumopathie.'] }],
  distribution: channel === 'dmp' ? { blocked: ['mssante-patient'] } : { blocked: ['dmp', 'mssante-patient'], correspondents: [{ role: 'correspondant', address: CORRESPONDENT }] },
});
const validated = await api<{ cdaId: string }>('POST', `/api/documents/${draft.id}/validate`, { legalAuthenticator: doctor });
if (!validated.cdaId) throw new Error(`validation refused: ${JSON.stringify(validated)}`);
const stored = async (): Promise<boolean> => (channel === 'dmp'
  ? (await app.database.db.select({ id: dmpSandboxEntries.uniqueId }).from(dmpSandboxEntries).where(eq(dmpSandboxEntries.uniqueId, validated.cdaId))).length > 0
  : (await app.sandboxes!.mssante.messages(CORRESPONDENT)).length > 0);
while (!(await stored())) await new Promise((r) => setTimeout(r, 20));
process.stdout.write(`published ${draft.id} ${validated.cdaId}\n`, () => process.kill(process.pid, 'SIGKILL'));
