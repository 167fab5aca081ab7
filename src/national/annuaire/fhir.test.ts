/** The directory readers are total and follow mssante.md §8 for mailboxes. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sandboxDirectory } from './dataset.ts';
import { mailboxTelecom, readMailboxes, readOrganization, readPractitioner, readSpecialties, SYSTEM } from './fhir.ts';

describe('Annuaire FHIR readers', () => {
  it('a mailbox telecom round-trips with its TRE_R257 type and metadata', () => {
    const mailbox = { address: 'a.b@x.mssante.fr', type: 'CAB' as const, redList: true, description: 'Cabinet', service: 'Consultations' };
    expect(readMailboxes([mailboxTelecom(mailbox)])).toEqual([mailbox]);
  });

  it('keeps plain emails out, accepts an untyped *.mssante.fr address', () => {
    expect(readMailboxes([
      { system: 'email', value: 'someone@gmail.com' },
      { system: 'phone', value: '0102030405' },
      { system: 'email', value: 'x@y.mssante.fr' },
      { system: 'email', value: 'z@y.mssante.fr', extension: [{ url: 'https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-contact-point-email-type', valueCoding: { code: 'AUTRE' } }] },
    ])).toEqual([{ address: 'x@y.mssante.fr' }]);
  });

  it('builds JDV_J01 codes from profession and specialty qualifications', () => {
    expect(readSpecialties([
      { code: { coding: [{ system: SYSTEM.profession, code: '10', display: 'Médecin' }] } },
      { code: { coding: [{ system: SYSTEM.specialty, code: 'SM44', display: 'Radio-diagnostic' }] } },
    ])).toEqual([{ code: 'G15_10/SM44', profession: '10', specialty: 'SM44', display: 'Médecin - Radio-diagnostic' }]);
  });

  it('reads every sandbox resource', () => {
    const d = sandboxDirectory();
    expect(d.Practitioner.map((p) => readPractitioner(p, d.PractitionerRole)?.rpps)).toEqual(['10001234567', '01234567897', '01234564895', '01234567866', '10009876543']);
    expect(d.Organization.map((o) => readOrganization(o)?.finess)).toEqual(['000000000', '300017985', '120459876']);
  });

  it('never throws on arbitrary JSON', () => {
    fc.assert(fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
      readMailboxes(a);
      readSpecialties(b);
      const resource = { resourceType: 'Practitioner', id: 'x', identifier: a, name: b, telecom: b, qualification: a };
      readPractitioner(resource, [{ resourceType: 'PractitionerRole', id: 'r', practitioner: a, telecom: a }]);
      readOrganization({ resourceType: 'Organization', id: 'o', identifier: b, name: a, type: a, telecom: b });
    }), { numRuns: 500 });
  });
});
