import { afterAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCda, parseCda, type CdaDocument } from '../cda/index.ts';
import { sampleDocument } from '../../../test/support/cda.ts';
import { requireFixtures, skipReason } from '../../../test/support/fixtures.ts';
import { formatXsdProblems, loadXsd } from '../../platform/xsd.ts';
import { parseXml } from '../xml.ts';
import { deriveDocumentEntry, type DocumentEntry, type XdsAuthor } from './document-entry.ts';
import { ASSOCIATION_TYPE, DOCUMENT_ENTRY, SUBMISSION_SET } from './ebrim-ids.ts';
import { readSubmitObjectsRequest } from './ebrim-read.ts';
import { buildSubmitObjectsRequest, type SubmitObjectsRequestInput, type SubmittedEntry } from './ebrim.ts';

function entryOf(type: 'ldl' | 'cr-imagerie', id: string): DocumentEntry {
  const doc: CdaDocument = { ...sampleDocument(type), id: { root: id } };
  const xml = buildCda(doc);
  if (!xml.ok) throw new Error(xml.error.rule);
  const parsed = parseCda(xml.value);
  if (!parsed.ok) throw new Error(parsed.error.rule);
  const entry = deriveDocumentEntry(parsed.value.document, Buffer.from(xml.value, 'utf8'), { visibility: ['MASQUE_PS'] });
  if (!entry.ok) throw new Error(entry.error.rule);
  return entry.value;
}

const AUTHOR: XdsAuthor = {
  person: '10001234567^MEDECIN^Jean^^^M^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS',
  institutions: ['Centre hospitalier de test^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^1750000001'],
  specialty: { code: 'G15_10/SM26', codingScheme: '1.2.250.1.213.1.1.4.5', displayName: 'Médecin - Qualifié en Médecine Générale (SM)' },
};

function request(entries: SubmittedEntry[] = [{ entryUuid: 'urn:uuid:8d3c1e0a-4f6b-4c39-9d7e-2a1b5c6d7e8f', entry: entryOf('ldl', '1.2.250.1.999.1.2.1001') }]): SubmitObjectsRequestInput {
  return {
    submissionSet: {
      uniqueId: '1.2.250.1.999.1.5.77',
      sourceId: '1.2.250.1.999.1',
      submissionTime: '20240115093500',
      contentTypeCode: { code: '04', codingScheme: '1.2.250.1.213.2.2', displayName: 'Hospitalisation de jour' },
      author: AUTHOR,
      title: 'Envoi DMP',
    },
    entries,
  };
}

const withoutCarriedElsewhere = (e: DocumentEntry): unknown => {
  const { replaces: _replaces, classCode, ...rest } = e;
  return { ...rest, classCode: { code: classCode.code, codingScheme: classCode.codingScheme, displayName: classCode.displayName } };
};

const twoEntries = (): SubmittedEntry[] => [
  { entryUuid: 'Document01', entry: entryOf('ldl', '1.2.250.1.999.1.2.1001') },
  { entryUuid: 'Document02', entry: entryOf('cr-imagerie', '1.2.250.1.999.1.2.1002') },
];

describe('ITI-41 SubmitObjectsRequest', () => {
  it('builds the submission set, entries and HasMember associations with the IHE UUIDs', () => {
    const xml = buildSubmitObjectsRequest(request(twoEntries()));
    expect(xml.ok).toBe(true);
    if (!xml.ok) return;
    expect(parseXml(xml.value).ok).toBe(true);
    expect(xml.value).toContain(`classificationNode="${SUBMISSION_SET.classificationNode}"`);
    expect(xml.value).toContain(`objectType="${DOCUMENT_ENTRY.objectType}"`);
    for (const scheme of Object.values(DOCUMENT_ENTRY).filter((s) => s !== DOCUMENT_ENTRY.objectType && s !== DOCUMENT_ENTRY.eventCodeList)) {
      expect(xml.value).toContain(`"${scheme}"`);
    }
    const facts = readSubmitObjectsRequest(xml.value);
    expect(facts.ok).toBe(true);
    if (!facts.ok) return;
    expect(facts.value.associations).toEqual([
      { associationType: ASSOCIATION_TYPE.hasMember, sourceObject: 'SubmissionSet01', targetObject: 'Document01', submissionSetStatus: 'Original' },
      { associationType: ASSOCIATION_TYPE.hasMember, sourceObject: 'SubmissionSet01', targetObject: 'Document02', submissionSetStatus: 'Original' },
    ]);
  });

  it('reads back the same facts (LDL and CR-imagerie)', () => {
    const input = request(twoEntries());
    const xml = buildSubmitObjectsRequest(input);
    if (!xml.ok) throw new Error(xml.error.rule);
    const facts = readSubmitObjectsRequest(xml.value);
    expect(facts.ok).toBe(true);
    if (!facts.ok) return;
    expect(facts.value.submissionSet).toEqual({
      entryUuid: 'SubmissionSet01',
      uniqueId: '1.2.250.1.999.1.5.77',
      sourceId: '1.2.250.1.999.1',
      patientId: '279035121518989^^^&1.2.250.1.213.1.4.10&ISO^NH',
      submissionTime: '20240115093500',
      contentTypeCode: input.submissionSet.contentTypeCode,
      author: AUTHOR,
      title: 'Envoi DMP',
    });
    expect(facts.value.entries.map((e) => e.entryUuid)).toEqual(['Document01', 'Document02']);
    facts.value.entries.forEach((read, i) => expect(read.entry).toEqual(withoutCarriedElsewhere(input.entries[i]!.entry)));
    expect(facts.value.entries[1]!.entry.classCode.code).toBe('31');
    expect(facts.value.entries[0]!.entry.confidentialityCodes.map((c) => c.code)).toEqual(['N', 'MASQUE_PS']);
  });

  it('adds the RPLC association to the replaced entryUUID', () => {
    const entry = { ...entryOf('ldl', '1.2.250.1.999.1.2.1003'), replaces: '1.2.250.1.999.1.2.1001' };
    const old = 'urn:uuid:0b5e8f2c-1d3a-4e6f-8a9b-c0d1e2f3a4b5';
    const xml = buildSubmitObjectsRequest(request([{ entryUuid: 'Document01', entry, replacesEntryUuid: old }]));
    if (!xml.ok) throw new Error(xml.error.rule);
    const facts = readSubmitObjectsRequest(xml.value);
    expect(facts.ok && facts.value.associations).toContainEqual({ associationType: ASSOCIATION_TYPE.replace, sourceObject: 'Document01', targetObject: old });
    // without the entryUUID of the replaced entry, the RPLC cannot be expressed
    expect(buildSubmitObjectsRequest(request([{ entryUuid: 'Document01', entry }]))).toMatchObject({ ok: false, error: { field: 'entries[0].replacesEntryUuid' } });
  });

  it('escapes attribute and text values (& < > " \')', () => {
    const title = `Compte rendu "A&B" <urgent> l'équipe`;
    const institution = `Clinique "Saint-Jean" & <Fils>'s^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^1750000001`;
    const entry = { ...entryOf('ldl', '1.2.250.1.999.1.2.1004'), title };
    const input = request([{ entryUuid: 'Document01', entry }]);
    input.submissionSet.author = { institutions: [institution] };
    input.submissionSet.title = title;
    const xml = buildSubmitObjectsRequest(input);
    if (!xml.ok) throw new Error(xml.error.rule);
    expect(xml.value).toContain('value="Compte rendu &quot;A&amp;B&quot; &lt;urgent&gt; l&apos;équipe"');
    expect(xml.value).toContain('<rim:Value>Clinique "Saint-Jean" &amp; &lt;Fils&gt;\'s^^^^^&amp;1.2.250.1.71.4.2.2&amp;ISO^IDNST^^^1750000001</rim:Value>');
    const facts = readSubmitObjectsRequest(xml.value);
    expect(facts.ok).toBe(true);
    if (!facts.ok) return;
    expect(facts.value.entries[0]!.entry.title).toBe(title);
    expect(facts.value.submissionSet.title).toBe(title);
    expect(facts.value.submissionSet.author?.institutions).toEqual([institution]);
  });

  it('never throws on bad input: the error names the field', () => {
    const good = request();
    const cases: Array<[unknown, string]> = [
      [null, 'request'],
      [{ ...good, entries: [] }, 'entries'],
      [{ ...good, submissionSet: { ...good.submissionSet, uniqueId: 'not-an-oid' } }, 'submissionSet.uniqueId'],
      [{ ...good, submissionSet: { ...good.submissionSet, submissionTime: '2024-01-15' } }, 'submissionSet.submissionTime'],
      [{ ...good, submissionSet: { ...good.submissionSet, contentTypeCode: undefined } }, 'submissionSet.contentTypeCode'],
      [{ ...good, submissionSet: { ...good.submissionSet, author: { institutions: [] } } }, 'submissionSet.author'],
      [{ ...good, entries: [{ entryUuid: 'has space', entry: good.entries[0]!.entry }] }, 'entries[0].entryUuid'],
      [{ ...good, entries: [{ ...good.entries[0]!, entry: { ...good.entries[0]!.entry, hash: 'xyz' } }] }, 'entries[0].entry.hash'],
      [{ ...good, entries: [{ ...good.entries[0]!, entry: { ...good.entries[0]!.entry, title: 'bad \u0001 char' } }] }, 'entries[0].entry.title'],
      [{ ...good, entries: [{ ...good.entries[0]!, entry: { ...good.entries[0]!.entry, typeCode: null } }] }, 'entries[0].entry.typeCode'],
      [{ ...good, entries: [{ ...good.entries[0]!, entry: { ...good.entries[0]!.entry, size: -1 } }] }, 'entries[0].entry.size'],
      [{ ...good, entries: [good.entries[0]!, { ...good.entries[0]!, entryUuid: 'Document02', entry: { ...good.entries[0]!.entry, patientId: 'other^^^&1.2&ISO^NH' } }] }, 'entries[1].entry.patientId'],
      [{ ...good, entries: [good.entries[0]!, good.entries[0]!] }, 'entries[1].entryUuid'],
      [{ ...good, entries: [null] }, 'entries[0]'],
    ];
    for (const [input, field] of cases) {
      const result = buildSubmitObjectsRequest(input as SubmitObjectsRequestInput);
      expect(result, field).toMatchObject({ ok: false, error: { field } });
    }
    expect(readSubmitObjectsRequest('<notxml')).toMatchObject({ ok: false });
    expect(readSubmitObjectsRequest('<a xmlns="urn:x"/>')).toMatchObject({ ok: false, error: { field: 'SubmitObjectsRequest' } });
    expect(readSubmitObjectsRequest(null as unknown as string)).toMatchObject({ ok: false });
  });

  const xdsDir = requireFixtures('xds');
  describe.skipIf(!xdsDir)(`against the ebRS 3.0 schema (lcm.xsd) ${xdsDir ? '' : skipReason('xds')}`, () => {
    // The fixtures' rim.xsd imports ../xml.xsd and ../IHE/xcf.xsd, which are not shipped: lay the
    // official schemas out in a temporary folder next to our own minimal stand-ins
    // (test/support/schemas/), so that the relative imports resolve.
    const dir = mkdtempSync(join(tmpdir(), 'passerelle-ebrs-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const lcm = (): string => {
      const support = join(import.meta.dirname, '../../../test/support/schemas');
      mkdirSync(join(dir, 'ebRS30'), { recursive: true });
      mkdirSync(join(dir, 'IHE'), { recursive: true });
      for (const f of ['lcm.xsd', 'rim.xsd', 'rs.xsd']) copyFileSync(join(xdsDir!, 'ebRS30', f), join(dir, 'ebRS30', f));
      copyFileSync(join(support, 'xml.xsd'), join(dir, 'xml.xsd'));
      copyFileSync(join(support, 'xcf.xsd'), join(dir, 'IHE', 'xcf.xsd'));
      return join(dir, 'ebRS30', 'lcm.xsd');
    };

    it('validates the LDL + CR-imagerie submission, with a replacement, with zero errors', () => {
      const schema = loadXsd(lcm());
      const entries = twoEntries();
      const replacing = { ...entries[1]!, entry: { ...entries[1]!.entry, replaces: '1.2.250.1.999.1.2.9' }, replacesEntryUuid: 'urn:uuid:0b5e8f2c-1d3a-4e6f-8a9b-c0d1e2f3a4b5' };
      const xml = buildSubmitObjectsRequest(request([entries[0]!, replacing]));
      if (!xml.ok) throw new Error(xml.error.rule);
      const problems = schema.validate(xml.value);
      expect(problems, formatXsdProblems(problems)).toEqual([]);
    });

    it('the schema does catch a broken request (sanity check of the validation)', () => {
      const schema = loadXsd(lcm());
      const xml = buildSubmitObjectsRequest(request());
      if (!xml.ok) throw new Error(xml.error.rule);
      const broken = xml.value.replace(/<rim:Slot name="hash">/, '<rim:Bogus/><rim:Slot name="hash">');
      expect(schema.validate(broken).length).toBeGreaterThan(0);
    });
  });
});
