/**
 * The sandbox's "Mon espace santé" view of a test patient's mailbox, for people trying the
 * platform (French): each message with its sender, date, subject (the `XDM/1.0/DDM+` prefix
 * hidden, as the Ségur UX rules ask of clients), text, documents and PDFs. Mon espace santé has
 * no test environment of its own (mssante.md §3): this page is where a tester sees what the
 * patient would receive.
 */
import { escapeAttribute, escapeText } from '../../formats/xml.ts';
import { XDM_SUBJECT_PREFIX } from './headers.ts';
import type { PatientMailboxEntry } from './sandbox.ts';

/** What a message of the view says, without the bytes (JSON). */
export interface PatientMailboxMessage {
  uid: number;
  from?: string;
  date?: string;
  subject: string;
  text?: string;
  /** X-MSS-MES: FIN — the patient may not reply. */
  noReply: boolean;
  documents: Array<{ title?: string; uniqueId?: string; typeCode?: string; integrity: string }>;
  pdfs: Array<{ name: string; size: number }>;
}

export const patientMailboxMessage = (entry: PatientMailboxEntry): PatientMailboxMessage => ({
  uid: entry.uid,
  ...(entry.from ? { from: entry.from } : {}),
  ...(entry.date ? { date: entry.date.toISOString() } : {}),
  subject: entry.subject,
  ...(entry.text ? { text: entry.text } : {}),
  noReply: entry.noReply,
  documents: entry.documents.map(({ cda: _cda, ...facts }) => facts),
  pdfs: entry.pdfs.map((p) => ({ name: p.name, size: p.bytes.byteLength })),
});

/** The subject as Mon espace santé shows it: without the XDM routing prefix. */
const shownSubject = (subject: string): string => (subject.startsWith(XDM_SUBJECT_PREFIX) ? subject.slice(XDM_SUBJECT_PREFIX.length).replace(/^\+/, '') : subject);

/** The HTML page; `pdfHref(uid, index)` is the address of a message's PDF. */
export function patientMailboxHtml(matricule: string, messages: PatientMailboxMessage[], pdfHref: (uid: number, index: number) => string): string {
  const items = messages.map((m) => {
    const when = m.date ? new Date(m.date).toLocaleString('fr-FR', { timeZone: 'Europe/Paris' }) : '';
    const documents = m.documents.map((d) => `<li>${escapeText(d.title ?? 'Document')}${d.typeCode ? ` (LOINC ${escapeText(d.typeCode)})` : ''}${d.integrity === 'ok' ? '' : ` — <strong>intégrité : ${escapeText(d.integrity)}</strong>`}</li>`).join('');
    const pdfs = m.pdfs.map((p, i) => `<li><a href="${escapeAttribute(pdfHref(m.uid, i))}">${escapeText(p.name)}</a> (${Math.ceil(p.size / 1024)} ko)</li>`).join('');
    return `<article>
<h2>${escapeText(shownSubject(m.subject))}</h2>
<p class="meta">De ${escapeText(m.from ?? 'expéditeur inconnu')}${when ? ` — ${escapeText(when)}` : ''}${m.noReply ? ' — réponse impossible' : ''}</p>
${m.text ? `<pre>${escapeText(m.text)}</pre>` : ''}
${documents ? `<h3>Documents</h3><ul>${documents}</ul>` : ''}
${pdfs ? `<h3>Pièces jointes</h3><ul>${pdfs}</ul>` : ''}
</article>`;
  }).join('\n');
  return `<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Mon espace santé (bac à sable) — ${escapeText(matricule)}</title>
<style>body{font-family:sans-serif;max-width:46rem;margin:2rem auto;line-height:1.45}article{border:1px solid #888;padding:.6rem 1rem;margin-bottom:1rem}.meta{color:#555}pre{white-space:pre-wrap;font-family:inherit}</style></head>
<body>
<h1>Messagerie Mon espace santé — bac à sable</h1>
<p class="meta">Patient de test, matricule INS ${escapeText(matricule)} : ${messages.length === 0 ? 'aucun message reçu.' : `${messages.length} message(s) reçu(s), du plus ancien au plus récent.`}</p>
${items}
</body></html>
`;
}
