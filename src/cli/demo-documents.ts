/**
 * The document chain of `passerelle demo`, through the HTTP API as hospital staff would use it
 * and the sandboxes as the outside world: PAT-TROIS DOMINIQUE (the ANS test patient, INS test
 * OID) is qualified through INSi; a lettre de liaison, a CRO and a discharge prescription are
 * validated for her with the médecin traitant found in the Annuaire Santé; each goes to the
 * DMP, to the médecin traitant's MSSanté mailbox and to her Mon espace santé mailbox. Then a
 * laboratory sends her CR-BIO by MSSanté to the hospital, which integrates it in her record.
 * One line per document and channel with its final status; the chain succeeds only if every
 * status is delivered.
 */
import type { App } from '../app.ts';
import { createMssanteClient, SANDBOX_HOSPITAL_MAILBOX, SANDBOX_LAB_CERTIFICATE_CN, SANDBOX_LAB_MAILBOX } from '../national/mssante/index.ts';
import { issueCertificate } from '../platform/pki/index.ts';
import { composeExitDocument, newDocumentOid } from '../record/compose.ts';
import { DEMO_PATIENT, DEMO_PHYSICIAN, DEMO_SECTIONS } from '../record/demo.ts';

type Api = <T>(method: string, path: string, body?: unknown) => Promise<T>;

interface Dispatch { channel: string; recipient: string | null; status: string; reason?: string; errorCode?: string }

const CHANNEL: Record<string, string> = { dmp: 'DMP', 'mssante-pro': 'MSSanté pro', 'mssante-patient': 'MSSanté patient' };
const STATUS: Record<string, string> = { delivered: 'remis', read: 'lu', sent: 'envoyé', pending: 'en attente', failed: 'échec', blocked: 'bloqué' };
const TIMEOUT_MS = 30_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs the chain; returns the number of statuses that are not delivered. */
export async function runDocumentChain(api: Api, app: App): Promise<number> {
  let failures = 0;
  console.log('\nChaîne documentaire (DPI → PFI → DMP et MSSanté)');

  const { traits } = DEMO_PATIENT;
  const { identity } = await api<{ identity: { id: string } }>('POST', '/api/identities', {
    traits: { birthName: traits.birthName, birthGivenNames: 'DOMINIQUE', birthDate: traits.birthDate, sex: traits.sex },
  });
  await api('POST', `/api/identities/${identity.id}/proofs`, { type: 'CN' });
  const qualified = await api<{ identity: { status: string; ins?: { matricule: string } } }>('POST', `/api/identities/${identity.id}/insi`, {});
  console.log(`  Patiente PAT-TROIS DOMINIQUE : ${qualified.identity.status}${qualified.identity.ins ? ` INS ${qualified.identity.ins.matricule}` : ''}`);

  const documents: Array<{ id: string; label: string }> = [];
  for (const [type, label] of [['ldl', 'Lettre de liaison'], ['cro', 'CRO'], ['ordonnance', 'Ordonnance de sortie']] as const) {
    const draft = await api<{ id: string }>('POST', '/api/documents', {
      identityId: identity.id, type, author: DEMO_PHYSICIAN, sections: DEMO_SECTIONS[type],
      distribution: { correspondents: [{ role: 'medecin-traitant', rpps: DEMO_PHYSICIAN.rpps }] },
    });
    await api('POST', `/api/documents/${draft.id}/validate`, { legalAuthenticator: DEMO_PHYSICIAN });
    documents.push({ id: draft.id, label });
  }

  for (const document of documents) {
    const dispatches = await settledDispatches(api, app, document.id);
    for (const d of dispatches) {
      const ok = d.status === 'delivered' || d.status === 'read';
      if (!ok) failures++;
      const detail = d.reason ? ` — ${d.reason}` : '';
      console.log(`  ${ok ? '✔' : '✘'} ${document.label.padEnd(22)} ${CHANNEL[d.channel]!.padEnd(16)} ${(d.recipient ?? '').padEnd(38)} ${STATUS[d.status] ?? d.status}${detail}`);
    }
  }

  failures += await labReport(app, identity.id);
  return failures;
}

async function settledDispatches(api: Api, app: App, documentId: string): Promise<Dispatch[]> {
  const deadline = Date.now() + TIMEOUT_MS;
  let items: Dispatch[] = [];
  while (Date.now() < deadline) {
    ({ items } = await api<{ items: Dispatch[] }>('GET', `/api/documents/${documentId}/dispatches`));
    if (items.length > 0 && items.every((d) => ['delivered', 'read', 'failed', 'blocked'].includes(d.status))) break;
    await app.readMailbox();
    await sleep(100);
  }
  return items;
}

/** A sandbox laboratory sends PAT-TROIS's CR-BIO to the hospital's mailbox; the PFI integrates it. */
async function labReport(app: App, identityId: string): Promise<number> {
  const composed = await composeExitDocument({
    type: 'cr-bio', sections: DEMO_SECTIONS['cr-bio'], patient: DEMO_PATIENT, author: DEMO_PHYSICIAN, legalAuthenticator: DEMO_PHYSICIAN,
    establishment: { ...app.config.establishment, name: 'LABORATOIRE DE TEST', finess: '630000001' },
    ids: { id: newDocumentOid(), setId: newDocumentOid(), version: 1 }, time: new Date(),
  });
  if (!composed.ok) throw new Error(`CR-BIO : ${composed.error.field} : ${composed.error.rule}`);
  const sandbox = app.sandboxes!.mssante;
  const labCertificate = await issueCertificate(app.pki.ca, SANDBOX_LAB_CERTIFICATE_CN, 'client');
  const lab = createMssanteClient({
    smtp: { host: sandbox.host, port: sandbox.smtpPort, security: sandbox.smtpSecurity, tls: { ...labCertificate, ca: app.pki.ca.cert } },
    sender: {
      address: SANDBOX_LAB_MAILBOX, displayName: 'Laboratoire de test', nil: 'SANDBOX-NIL-LABO', establishment: 'Laboratoire de test',
      sourceId: '1.2.250.1.999.2.9', contentTypeCode: { code: '07', codingScheme: '1.2.250.1.213.2.2', displayName: 'Consultation externe' },
    },
  });
  try {
    await lab.sendDocuments({ documents: [{ cda: Buffer.from(composed.value.cda), pdf: composed.value.pdf }], label: 'CR de biologie', professionals: [SANDBOX_HOSPITAL_MAILBOX], visibility: {} });
  } finally {
    lab.close();
  }
  const uniqueId = composed.value.document.id.root;
  const deadline = Date.now() + TIMEOUT_MS;
  while (Date.now() < deadline) {
    await app.readMailbox();
    const integrated = (await app.received.listFor(identityId, 'demo')).some((d) => d.uniqueId === uniqueId);
    if (integrated) {
      console.log(`  ✔ ${'CR de biologie reçu'.padEnd(22)} ${'MSSanté entrant'.padEnd(16)} ${SANDBOX_LAB_MAILBOX.padEnd(38)} intégré au dossier (INS)`);
      return 0;
    }
    await sleep(100);
  }
  console.log(`  ✘ ${'CR de biologie reçu'.padEnd(22)} ${'MSSanté entrant'.padEnd(16)} ${SANDBOX_LAB_MAILBOX.padEnd(38)} non intégré`);
  return 1;
}
