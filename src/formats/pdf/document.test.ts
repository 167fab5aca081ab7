import { DOMParser } from '@xmldom/xmldom';
import { describe, expect, it } from 'vitest';
import { pdfFonts, pdfInfo, pdfToText, POPPLER_SKIP_REASON, qpdfProblems, rasterizePage, requirePoppler } from '../../../test/support/poppler.ts';
import { readDataMatrix } from '../../../test/support/zxing.ts';
import { decodeInsPayload, encodeInsPayload } from '../datamatrix/payload.ts';
import { INS_OID } from '../ins/oid.ts';
import { renderDocumentPdf, renderDocumentPdfWith, type DocumentPdfInput } from './document.ts';
import { loadEmbeddedFonts } from './fonts.ts';

const CREATED = new Date('2025-05-12T08:30:00Z');

function ldl(overrides: Partial<DocumentPdfInput> = {}): DocumentPdfInput {
  return {
    title: 'Lettre de liaison à la sortie',
    documentType: 'Lettre de liaison à la sortie',
    establishment: { name: 'Centre hospitalier de Riom', address: '12 boulevard Étienne Clémentel, 63200 Riom', finess: '630781003' },
    patient: {
      traits: { birthName: 'PAT-TROIS', birthGivenNames: 'DOMINIQUE MARIE-ANNE', birthDate: '1979-03-28', sex: 'F', birthplace: '63220' },
      ipp: '000123456',
      ins: { matricule: '279035121518989', oid: INS_OID.test },
      status: 'Identité qualifiée',
      usedName: 'DURAND',
    },
    author: { name: 'Dr Jean MARTIN', specialty: 'Médecine interne', rpps: '10001234567' },
    date: new Date('2025-05-12T16:00:00Z'),
    creationDate: CREATED,
    sections: [
      { heading: "Motif d'hospitalisation", paragraphs: ['Pneumopathie communautaire du lobe inférieur droit.'] },
      { heading: 'Synthèse du séjour', paragraphs: ['Évolution favorable sous amoxicilline ; apyrexie obtenue à J3. Œdème des membres inférieurs régressif.'] },
      { heading: 'Traitement de sortie', paragraphs: ['Amoxicilline 1 g × 3 par jour pendant 4 jours.', 'Paracétamol 1 g si douleur, maximum 4 g par jour.'] },
    ],
    footer: 'Lettre transmise au médecin traitant et versée au DMP',
    ...overrides,
  };
}

const notQualified = (): DocumentPdfInput => {
  const input = ldl();
  const { ins: _none, ...patient } = input.patient;
  return { ...input, patient: { ...patient, status: 'Identité provisoire' } };
};

async function render(input: DocumentPdfInput): Promise<Uint8Array> {
  const r = await renderDocumentPdf(input);
  if (!r.ok) throw new Error(`${r.error.field}: ${r.error.rule}`);
  return r.value;
}

const latin1 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1');
/** The XMP packet, written uncompressed in UTF-8. */
const xmpOf = (pdf: Uint8Array): string => /<x:xmpmeta[\s\S]*<\/x:xmpmeta>/.exec(Buffer.from(pdf).toString('utf8'))?.[0] ?? '';

describe('exit document PDF: PDF/A-2b structure', () => {
  it('is a PDF 1.7 with the XMP identification of PDF/A-2b and an sRGB output intent', async () => {
    const pdf = latin1(await render(ldl()));
    expect(pdf.startsWith('%PDF-1.7\n')).toBe(true);
    expect(pdf).toMatch(/<pdfaid:part>2<\/pdfaid:part>/);
    expect(pdf).toMatch(/<pdfaid:conformance>B<\/pdfaid:conformance>/);
    expect(pdf).toMatch(/\/OutputIntents \[/);
    expect(pdf).toMatch(/\/S \/GTS_PDFA1/);
    expect(pdf).not.toMatch(/\/Encrypt/);
    expect(pdf.trimEnd().endsWith('%%EOF')).toBe(true);
  });

  it('embeds both DejaVu faces as TrueType font files and no standard font', async () => {
    const pdf = latin1(await render(ldl()));
    expect(pdf.match(/\/FontFile2 /g)).toHaveLength(2);
    expect(pdf).toMatch(/\/BaseFont \/[A-Z]{6}\+DejaVuSans\b/);
    expect(pdf).toMatch(/\/BaseFont \/[A-Z]{6}\+DejaVuSans-Bold\b/);
    expect(pdf).not.toMatch(/Helvetica|Times-Roman|Courier/);
  });

  it('writes a well-formed XMP packet even when the title holds XML-special characters', async () => {
    const xmp = xmpOf(await render(ldl({ title: 'Compte rendu <urgent> & suite' })));
    expect(xmp).toContain('<rdf:li xml:lang="x-default">Compte rendu &lt;urgent&gt; &amp; suite</rdf:li>');
    const parsed = new DOMParser().parseFromString(xmp, 'text/xml');
    expect(parsed.getElementsByTagName('dc:title')[0]?.textContent).toBe('Compte rendu <urgent> & suite');
  });

  it('is byte-for-byte reproducible when the creation date is given', async () => {
    const [a, b] = await Promise.all([render(ldl()), render(ldl())]);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(latin1(a)).toContain(`<xmp:CreateDate>2025-05-12T08:30:00Z</xmp:CreateDate>`);
  });

  it('is byte-identical with and without the cross-document shaping cache (kerning, ligatures)', async () => {
    const text = 'Efficace, affiné, « office » — AVA WAVE Tâ Ty Vo fl ffi ; suffixe fiche. ';
    const input = (n: number): DocumentPdfInput => ldl({ sections: [{ heading: 'Synthèse affinée', paragraphs: [text.repeat(n), text] }] });
    const plain = loadEmbeddedFonts({ shapeCache: false });
    const cached = loadEmbeddedFonts({ shapeCache: true });
    for (const n of [3, 5, 3]) {
      const [a, b] = await Promise.all([renderDocumentPdfWith(plain, input(n)), renderDocumentPdfWith(cached, input(n))]);
      expect(a.ok && b.ok).toBe(true);
      if (a.ok && b.ok) expect(Buffer.from(b.value).equals(Buffer.from(a.value))).toBe(true);
    }
  });

  it('fails, naming the DataMatrix block, on an INS it cannot print', async () => {
    const input = ldl();
    const wrongKey = { ...input, patient: { ...input.patient, ins: { matricule: '279035121518988', oid: INS_OID.test } } };
    expect(await renderDocumentPdf(wrongKey)).toMatchObject({ ok: false, error: { field: 'DataMatrix INS S1' } });
    const unknownSex = { ...input, patient: { ...input.patient, traits: { ...input.patient.traits, sex: 'U' as const } } };
    expect(await renderDocumentPdf(unknownSex)).toMatchObject({ ok: false, error: { field: 'DataMatrix INS S5' } });
  });
});

const poppler = requirePoppler();

describe.skipIf(!poppler)(`exit document PDF read back by poppler${poppler ? '' : ` (${POPPLER_SKIP_REASON})`}`, () => {
  it('shows the traits INS, the IPP and, for a qualified identity, the matricule INS with its nature', async () => {
    const text = pdfToText(await render(ldl()));
    for (const expected of [
      'Centre hospitalier de Riom', 'FINESS : 630781003', 'Date : 12/05/2025',
      'PAT-TROIS DOMINIQUE', 'Prénoms de naissance : DOMINIQUE MARIE-ANNE', 'Nom utilisé : DURAND', 'Sexe : Féminin',
      'Née le : 28/03/1979', 'Lieu de naissance (code COG) : 63220', 'IPP : 000123456', "Statut de l'identité : Identité qualifiée",
      'Matricule INS : 279035121518989 (TEST)', 'DataMatrix INS',
      'Auteur : Dr Jean MARTIN — Médecine interne — RPPS 10001234567',
      'Synthèse du séjour', 'Œdème des membres inférieurs', 'Page 1 / 1',
      'PAT-TROIS DOMINIQUE · née le 28/03/1979 · IPP 000123456', 'Lettre transmise au médecin traitant et versée au DMP',
    ]) expect(text).toContain(expected);
  });

  it('passes qpdf\'s structural check (cross-references, objects, streams), whatever the text', async () => {
    const long = 'Anticonstitutionnellementanticonstitutionnellementanticonstitutionnellementanticonstitutionnellement';
    const odd = 'Ligne\navec\r\nretours\t et tabulations, espaces  multiples, 1\u00a0000\u202fmg, 😀 漢字 (hors police), \\ ( ) <>';
    for (const input of [ldl(), notQualified(), ldl({ title: odd, sections: [{ heading: long, paragraphs: [long.repeat(3), odd, ''] }] })]) {
      expect(qpdfProblems(await render(input))).toEqual([]);
    }
  });

  it('keeps every word of the text, cuts a word wider than the page, and breaks lines at newlines', async () => {
    const long = 'Anticonstitutionnellement'.repeat(6);
    const text = pdfToText(await render(ldl({ sections: [{ heading: 'Notes', paragraphs: [`Début ${long} fin.`, 'Première ligne\nDeuxième ligne'] }] })));
    expect(text.replace(/\s+/g, '')).toContain(`Début${long}fin.`);
    expect(text).toMatch(/Première ligne\s*\n\s*Deuxième ligne/);
  });

  it('prints neither matricule nor DataMatrix for an identity that is not qualified', async () => {
    const text = pdfToText(await render(notQualified()));
    expect(text).toContain("Statut de l'identité : Identité provisoire");
    expect(text).not.toContain('279035121518989');
    expect(text).not.toContain('Matricule INS');
    expect(text).not.toContain('DataMatrix');
  });

  it('names the nature of the matricule from its OID', async () => {
    const input = ldl();
    const nir = { ...input, patient: { ...input.patient, ins: { matricule: '279035121518989', oid: INS_OID.nir } } };
    expect(pdfToText(await render(nir))).toContain('Matricule INS : 279035121518989 (NIR)');
  });

  it('has the document info and embedded Unicode fonts', async () => {
    const pdf = await render(ldl());
    expect(pdfInfo(await render(ldl({ title: 'Compte rendu <urgent> & suite' }))).Title).toBe('Compte rendu <urgent> & suite');
    expect(pdfInfo(pdf)).toMatchObject({
      Title: 'Lettre de liaison à la sortie', Author: 'Dr Jean MARTIN', Subject: 'Lettre de liaison à la sortie',
      CreationDate: '2025-05-12T08:30:00Z', 'PDF version': '1.7', Encrypted: 'no', 'Metadata Stream': 'yes', 'Page size': '595.28 x 841.89 pts (A4)',
    });
    const fonts = pdfFonts(pdf);
    expect(fonts).toHaveLength(2);
    expect(fonts.every((f) => f.embedded && f.unicode)).toBe(true);
  });

  it('wraps long text across pages and numbers them "Page n / N"', async () => {
    const paragraph = "Surveillance clinique et biologique quotidienne, adaptation du traitement selon l'évolution. ".repeat(12);
    const sections = Array.from({ length: 8 }, (_, i) => ({ heading: `Partie ${i + 1}`, paragraphs: [paragraph, paragraph] }));
    const pdf = await render(ldl({ sections }));
    const pages = Number(pdfInfo(pdf).Pages);
    expect(pages).toBeGreaterThanOrEqual(3);
    const text = pdfToText(pdf);
    for (let n = 1; n <= pages; n += 1) expect(text).toContain(`Page ${n} / ${pages}`);
    expect(text.match(/PAT-TROIS DOMINIQUE · née le 28\/03\/1979 · IPP 000123456/g)).toHaveLength(pages);
    expect(text).toContain('Partie 8');
  });

  it('carries a DataMatrix that a reader decodes back to the payload and the traits (page 1 at 200 dpi)', async () => {
    const input = ldl();
    const pdf = await render(input);
    const found = await readDataMatrix(rasterizePage(pdf, 1, 200));
    expect(found).toHaveLength(1);
    const { traits, ins } = input.patient;
    const payload = encodeInsPayload({ ...traits, matricule: ins?.matricule ?? '', oid: ins?.oid ?? '' });
    expect(payload.ok).toBe(true);
    expect(found[0]?.text).toBe(payload.ok ? payload.value : undefined);
    expect(decodeInsPayload(found[0]?.text ?? '')).toEqual({
      ok: true,
      value: { content: { ...traits, sex: 'F', matricule: '279035121518989', oid: INS_OID.test }, version: '01', warnings: [] },
    });
  });

  it('carries no DataMatrix for an identity that is not qualified', async () => {
    expect(await readDataMatrix(rasterizePage(await render(notQualified()), 1, 200))).toEqual([]);
  });
});
