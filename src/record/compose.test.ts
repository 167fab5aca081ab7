import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { headerOf, parseCda, PRODUCED_DOCUMENT_TYPE_KEYS } from '../formats/cda/index.ts';
import type { Identity } from '../identity/index.ts';
import { loadConfig } from '../platform/config.ts';
import { loadXsd } from '../platform/xsd.ts';
import { fixturesDir } from '../../test/support/fixtures.ts';
import { composeExitDocument, newDocumentOid, type ExitDocumentInput } from './compose.ts';
import { createComposePool } from './compose-pool.ts';

const establishment = loadConfig({}, { 'establishment.finess': '123456789', 'establishment.name': 'CH DE DEMONSTRATION' }).establishment;
const qualified: Identity = {
  id: 'x', ipp: '100042', ippAuthority: 'PASSERELLE', status: 'QUAL', attributes: [],
  traits: { birthName: 'ADRTROIS', birthGivenNames: 'DOMINIQUE', birthDate: '1997-02-26', sex: 'F', birthplace: '2A020' },
  ins: { matricule: '297022A02077878', oid: '1.2.250.1.213.1.4.8' }, insRetrieved: true, version: 3, createdAt: '', updatedAt: '',
};
const provisional: Identity = { ...qualified, status: 'PROV', insRetrieved: false, ins: undefined };
const doctor = { rpps: '10001234567', family: 'MEDECIN', given: 'Jean', specialty: 'G15_10/SM26' };

const input = (patient: Identity, type: ExitDocumentInput['type'] = 'ldl'): ExitDocumentInput => ({
  type, patient, author: doctor, legalAuthenticator: doctor, establishment,
  sections: [{ heading: 'Motif d’hospitalisation', paragraphs: ['Surveillance post-opératoire.'] }],
  stay: { start: '2026-11-10T08:00:00Z', end: '2026-11-15T10:00:00Z' },
  ids: { id: newDocumentOid(), setId: newDocumentOid(), version: 1 }, time: new Date('2026-11-15T10:30:00Z'),
});

const fixtures = fixturesDir();
const xsd = fixtures ? loadXsd(join(fixtures, 'cda', 'infrastructure', 'cda', 'CDA_extended.xsd')) : undefined;

describe('exit documents', () => {
  it.each(PRODUCED_DOCUMENT_TYPE_KEYS)('composes a %s: PDF/A + CDA N1 with the qualified INS, XSD-valid', async (type) => {
    const result = await composeExitDocument(input(qualified, type));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(Buffer.from(result.value.pdf.subarray(0, 5)).toString()).toBe('%PDF-');
    const parsed = parseCda(result.value.cda);
    expect(parsed.ok && parsed.value.document.patient.ins).toEqual({ matricule: '297022A02077878', oid: '1.2.250.1.213.1.4.8' });
    // The header handed to the PFI is the one read back from the CDA itself, as plain JSON.
    expect(parsed.ok && JSON.parse(JSON.stringify(result.value.header))).toEqual(parsed.ok && JSON.parse(JSON.stringify(headerOf(parsed.value.document))));
    if (xsd) expect(xsd.validate(result.value.cda).filter((p) => p.level !== 'warning')).toEqual([]);
  });

  it('carries no INS (IPP only) for an identity that is not qualified', async () => {
    const without = await composeExitDocument(input(provisional));
    expect(without.ok).toBe(true);
    if (!without.ok) return;
    expect(without.value.cda).not.toContain('1.2.250.1.213.1.4.8');
    expect(without.value.cda).toContain('extension="100042"');
    if (xsd) expect(xsd.validate(without.value.cda).filter((p) => p.level !== 'warning')).toEqual([]);
  });

  it('names the field and the rule on bad input', async () => {
    const bad = await composeExitDocument({ ...input(qualified), author: { ...doctor, specialty: 'NOPE' } });
    expect(bad).toMatchObject({ ok: false, error: { field: 'author.specialty' } });
  });
});

describe('exit documents composed on worker threads', () => {
  const pool = createComposePool(2);
  afterAll(() => pool.close());

  it('gives the same CDA and header as the calling thread, for documents composed concurrently on two workers', async () => {
    const inputs = PRODUCED_DOCUMENT_TYPE_KEYS.flatMap((type) => [input(qualified, type), input(provisional, type)]);
    const [onWorkers, here] = await Promise.all([Promise.all(inputs.map((i) => pool.compose(i))), Promise.all(inputs.map((i) => composeExitDocument(i)))]);
    for (const [i, composed] of onWorkers.entries()) {
      const expected = here[i]!;
      if (!composed.ok || !expected.ok) throw new Error(`${inputs[i]!.type}: not composed`);
      expect(composed.value.cda).toBe(expected.value.cda);
      expect(composed.value.header).toEqual(JSON.parse(JSON.stringify(expected.value.header)));
      expect(Buffer.from(composed.value.pdf.subarray(0, 5)).toString()).toBe('%PDF-');
    }
  });

  it('answers bad input with the same refusal as the calling thread', async () => {
    expect(await pool.compose({ ...input(qualified), author: { ...doctor, specialty: 'NOPE' } })).toMatchObject({ ok: false, error: { field: 'author.specialty' } });
  });

  it('rejects an input the composition throws on, and keeps composing the next ones', async () => {
    await expect(pool.compose({ ...input(qualified), patient: null as unknown as Identity })).rejects.toThrow(/composition failed/);
    expect((await pool.compose(input(qualified))).ok).toBe(true);
  });
});
