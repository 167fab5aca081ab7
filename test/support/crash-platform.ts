/**
 * A platform process that dies at the worst moment of a DMP publication, for the
 * exchange crash test: it validates an LDL for PAT-TROIS, waits until the DMP sandbox has
 * stored it — the sandbox is configured to answer only seconds later — and kills itself with
 * SIGKILL before the answer reaches the platform, so the dispatch is never marked delivered.
 * The outbox lease must outlast the delay, or the process would claim the job again itself.
 * Usage: tsx crash-platform.ts <config-overrides-json>; prints `published <documentId> <cdaId>`.
 */
import { eq } from 'drizzle-orm';
import { startApp } from '../../src/app.ts';
import { dmpSandboxEntries } from '../../src/national/dmp/tables.ts';
import { loadConfig } from '../../src/platform/config.ts';
import { silentLogger } from '../../src/platform/logging.ts';

const overrides = JSON.parse(process.argv[2]!) as Record<string, unknown>;
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
  distribution: { blocked: ['mssante-patient'] },
});
const validated = await api<{ cdaId: string }>('POST', `/api/documents/${draft.id}/validate`, { legalAuthenticator: doctor });
for (;;) {
  const stored = await app.database.db.select({ id: dmpSandboxEntries.uniqueId }).from(dmpSandboxEntries).where(eq(dmpSandboxEntries.uniqueId, validated.cdaId));
  if (stored.length > 0) break;
  await new Promise((r) => setTimeout(r, 20));
}
process.stdout.write(`published ${draft.id} ${validated.cdaId}\n`, () => process.kill(process.pid, 'SIGKILL'));
