import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { applyEvent, deriveStatus, isHighTrust, mayShareIns, pid32Status, type RnivEvent, type RnivFacts } from './rniv.ts';

const start: RnivFacts = { insiVerified: false, highTrustProof: false, attributes: [] };
const run = (...events: RnivEvent[]) => deriveStatus(events.reduce(applyEvent, start));

describe('RNIV status machine', () => {
  it('follows the promotion paths of the RNIV', () => {
    expect(run()).toBe('PROV');
    expect(run({ type: 'insiAdopted' })).toBe('RECUP');
    expect(run({ type: 'proofChecked', highTrust: true })).toBe('VALI');
    expect(run({ type: 'insiAdopted' }, { type: 'proofChecked', highTrust: true })).toBe('QUAL');
    expect(run({ type: 'proofChecked', highTrust: true }, { type: 'insiAdopted' })).toBe('QUAL');
    expect(run({ type: 'proofChecked', highTrust: false })).toBe('PROV');
  });

  it('applies the demotions', () => {
    const qual: RnivEvent[] = [{ type: 'insiAdopted' }, { type: 'proofChecked', highTrust: true }];
    expect(run(...qual, { type: 'insiInvalidated' })).toBe('VALI');
    expect(run(...qual, { type: 'proofWithdrawn' })).toBe('RECUP');
    expect(run(...qual, { type: 'attributeSet', attribute: 'DOUT' })).toBe('PROV');
    expect(run(...qual, { type: 'attributeSet', attribute: 'FICT' })).toBe('PROV');
    expect(run(...qual, { type: 'strictTraitEdited' })).toBe('VALI');
    expect(run({ type: 'insiAdopted' }, { type: 'insiInvalidated' })).toBe('PROV');
    expect(run(...qual, { type: 'attributeSet', attribute: 'HOMA' })).toBe('QUAL');
  });

  it('holds a douteuse or fictive identity at PROV whatever its evidence', () => {
    const event = fc.constantFrom<RnivEvent>(
      { type: 'insiAdopted' }, { type: 'insiInvalidated' }, { type: 'proofChecked', highTrust: true }, { type: 'proofWithdrawn' },
      { type: 'attributeSet', attribute: 'HOMA' }, { type: 'strictTraitEdited' },
    );
    fc.assert(fc.property(fc.array(event), fc.constantFrom('DOUT' as const, 'FICT' as const), (events, attr) => {
      const facts = [{ type: 'attributeSet', attribute: attr } as RnivEvent, ...events].reduce(applyEvent, start);
      expect(deriveStatus(facts)).toBe('PROV');
    }));
  });

  it('lets only QUAL share the INS, and maps to PID-32', () => {
    expect(['PROV', 'RECUP', 'VALI', 'QUAL'].filter((s) => mayShareIns(s as never))).toEqual(['QUAL']);
    expect(pid32Status('RECUP')).toBe('PROV');
    expect(pid32Status('QUAL')).toBe('VALI');
  });

  it('counts a birth certificate as high trust for minors only', () => {
    expect(isHighTrust('AN', '2015-05-01', new Date('2026-01-01'))).toBe(true);
    expect(isHighTrust('AN', '1980-05-01', new Date('2026-01-01'))).toBe(false);
    expect(isHighTrust('PA', '1980-05-01', new Date('2026-01-01'))).toBe(true);
    expect(isHighTrust('PC', '1980-05-01', new Date('2026-01-01'))).toBe(false);
  });
});
