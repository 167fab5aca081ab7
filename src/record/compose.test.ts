import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { headerOf, parseCda, PRODUCED_DOCUMENT_TYPE_KEYS } from '../formats/cda/index.ts';
import { loadXsd } from '../platform/xsd.ts';
import { fixturesDir } from '../../test/support/fixtures.ts';
import { composeExitDocument } from './compose.ts';
import { doctor, input, provisional, qualified } from './test-support.ts';

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
