/**
 * Demo identities: public INSi test identities (identity.md §6.5) as a reception desk would
 * enter them, with the identity document checked, and what INSi is expected to answer.
 * `npm start` seeds them into an empty referential; `passerelle demo` qualifies them.
 */
import type { InsTraits } from '../formats/ins/index.ts';
import type { IdentityService } from './service.ts';
import type { ProofType } from './rniv.ts';

export interface DemoIdentity {
  traits: InsTraits;
  proof: ProofType;
  /** Prénoms read on the identity document, in order (INSi is called once per prénom). */
  givenNames: string[];
  expected: { outcome: '00' | '01' | '02'; status: 'QUAL' | 'VALI'; matricule?: string };
}

export const DEMO_IDENTITIES: DemoIdentity[] = [
  {
    traits: { birthName: 'ADRTROIS', birthGivenNames: 'DOMINIQUE', birthDate: '1997-02-26', sex: 'F' },
    proof: 'CN', givenNames: ['DOMINIQUE'], expected: { outcome: '00', status: 'QUAL', matricule: '297022A02077878' },
  },
  {
    traits: { birthName: 'ADRUN', birthGivenNames: 'ZOE', birthDate: '1975-12-31', sex: 'F' },
    proof: 'PA', givenNames: ['ZOE'], expected: { outcome: '00', status: 'QUAL', matricule: '275126322074974' },
  },
  {
    traits: { birthName: 'TCHITCHI', birthGivenNames: 'CATARINA', birthDate: '1936-06-21', sex: 'F' },
    proof: 'CS', givenNames: ['OLA', 'CATARINA'], expected: { outcome: '00', status: 'QUAL', matricule: '236066322083656' },
  },
  {
    traits: { birthName: 'DE VINCI', birthGivenNames: 'LEONARDO', birthDate: '2014-02-01', sex: 'M' },
    proof: 'LE', givenNames: ['LEONARDO'], expected: { outcome: '02', status: 'VALI' },
  },
  {
    traits: { birthName: 'HOUILLES', birthGivenNames: 'PIERRE PAUL JACQUES', birthDate: '1993-01-27', sex: 'M' },
    proof: 'PA', givenNames: ['PIERRE', 'PAUL', 'JACQUES'], expected: { outcome: '01', status: 'VALI' },
  },
];

/** Enters the demo identities (provisional, no proof yet) when the referential is empty. */
export async function seedDemoIdentities(service: IdentityService, actor = 'system:demo-data'): Promise<number> {
  if ((await service.search({ birthDate: '1997-02-26', birthName: 'ADRTROIS' }, actor)).length > 0) return 0;
  for (const demo of DEMO_IDENTITIES) await service.create({ traits: demo.traits }, actor);
  return DEMO_IDENTITIES.length;
}
