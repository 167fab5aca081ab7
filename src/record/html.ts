/** A readable HTML view of a document for staff (French), from its stored facts. */
import type { Identity } from '../identity/index.ts';
import { STATUS_LABEL } from '../identity/index.ts';
import type { DocumentView } from './documents.ts';

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const STATUS: Record<DocumentView['status'], string> = { draft: 'Brouillon', validated: 'Validé', replaced: 'Remplacé par une version ultérieure', withdrawn: 'Retiré par son auteur' };

export function documentHtml(doc: DocumentView, patient: Identity): string {
  const t = patient.traits;
  const [first, ...others] = t.birthGivenNames.split(' ');
  const banner = [
    `<strong>${escapeHtml(t.birthName)}</strong> <strong>${escapeHtml(first ?? '')}</strong> ${escapeHtml(others.join(' '))}`,
    patient.usedName ? `Nom utilisé : ${escapeHtml(patient.usedName)}` : '',
    `Né(e) le ${escapeHtml(t.birthDate.split('-').reverse().join('/'))} — Sexe : ${escapeHtml(t.sex)}${t.birthplace ? ` — Lieu de naissance (COG) : ${escapeHtml(t.birthplace)}` : ''}`,
    `IPP : ${escapeHtml(patient.ipp)} — ${escapeHtml(STATUS_LABEL[patient.status])}`,
    patient.ins ? `INS : ${escapeHtml(patient.ins.matricule)} (${escapeHtml(patient.ins.oid)})` : '',
  ].filter(Boolean).map((line) => `<div>${line}</div>`).join('\n');
  const sections = doc.sections.map((s) => `<section><h2>${escapeHtml(s.heading)}</h2>${s.paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('')}</section>`).join('\n');
  const signer = doc.legalAuthenticator ?? doc.author;
  return `<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>${escapeHtml(doc.title)}</title>
<style>body{font-family:sans-serif;max-width:46rem;margin:2rem auto;line-height:1.45}.banner{border:1px solid #888;padding:.6rem 1rem;margin-bottom:1.5rem}.meta{color:#555}</style></head>
<body>
<div class="banner">${banner}</div>
<h1>${escapeHtml(doc.title)}</h1>
<p class="meta">${escapeHtml(doc.typeLabel)} — version ${doc.version} — ${escapeHtml(STATUS[doc.status])}${doc.validatedAt ? ` le ${escapeHtml(new Date(doc.validatedAt).toLocaleString('fr-FR', { timeZone: 'Europe/Paris' }))}` : ''}</p>
${sections}
<p class="meta">${doc.legalAuthenticator ? 'Validé par' : 'Rédigé par'} ${escapeHtml([signer.given, signer.family].filter(Boolean).join(' '))} (RPPS ${escapeHtml(signer.rpps)})</p>
</body></html>
`;
}
