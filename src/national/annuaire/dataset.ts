/**
 * The sandbox directory: a few test professionals and structures, written as the Annuaire
 * Santé v2 writes them (`as-dp-*` profiles, psc-annuaire.md §6; mailboxes per mssante.md §8).
 *
 * - Jean MEDECIN (RPPS 10001234567, G15_10/SM26) is the author of the demo documents
 *   (src/record/demo.ts, bench/documents/inputs.ts); he has a personal mailbox and a second
 *   one in his situation d'exercice at the demo hospital.
 * - Adam HODA, Thomas ERIC and Thierry DIAZ are the professionals of the ANS HL7 v2 examples
 *   (idNatPs 801234567897, 801234564895, 801234567866, same mailboxes where they give one).
 * - Paul SANSBAL is a pharmacist without any MSSanté mailbox.
 * All identifiers are fictitious test values.
 */
import {
  mailboxTelecom, PROFILE, SYSTEM, type MssanteMailbox, type Resource,
} from './fhir.ts';

export interface SandboxProfessional {
  rpps: string;
  family: string;
  given: string;
  /** Civilité d'exercice. */
  prefix?: string;
  /** TRE_G15 profession code and label. */
  profession: { code: string; display: string };
  /** TRE_R38 specialty code and label (SM…), when any. */
  specialty?: { code: string; display: string };
  /** Personal mailboxes (type PER, carried by the Practitioner). */
  mailboxes: MssanteMailbox[];
  /** Situations d'exercice: FINESS of the structure and the mailboxes of that situation. */
  roles: Array<{ finess: string; mailboxes: MssanteMailbox[] }>;
}

export interface SandboxStructure {
  finess: string;
  name: string;
  /** TRE_R02 secteur d'activité. */
  activitySector: string;
  mailboxes: MssanteMailbox[];
}

const MEDECIN = { code: '10', display: 'Médecin' };

export const SANDBOX_PROFESSIONALS: readonly SandboxProfessional[] = [
  {
    rpps: '10001234567', family: 'MEDECIN', given: 'Jean', prefix: 'DR', profession: MEDECIN,
    specialty: { code: 'SM26', display: 'Qualifié en Médecine Générale' },
    mailboxes: [{ address: 'jean.medecin@medecin.mssante.fr', type: 'PER' }],
    roles: [{ finess: '000000000', mailboxes: [{ address: 'jean.medecin@ch-demo.mssante.fr', type: 'PER', service: 'Médecine polyvalente' }] }],
  },
  {
    rpps: '01234567897', family: 'HODA', given: 'Adam', prefix: 'DR', profession: MEDECIN,
    specialty: { code: 'SM30', display: 'Néphrologie' },
    mailboxes: [{ address: 'adam.hoda@test-ci-sis.mssante.fr', type: 'PER' }],
    roles: [],
  },
  {
    rpps: '01234564895', family: 'ERIC', given: 'Thomas', prefix: 'DR', profession: MEDECIN,
    specialty: { code: 'SM44', display: 'Radio-diagnostic' },
    mailboxes: [{ address: 'thomas.eric@medecin.mssante.fr', type: 'PER' }],
    roles: [{ finess: '300017985', mailboxes: [] }],
  },
  {
    rpps: '01234567866', family: 'DIAZ', given: 'Thierry', prefix: 'DR', profession: MEDECIN,
    specialty: { code: 'SM03', display: 'Biologie médicale' },
    mailboxes: [],
    roles: [{ finess: '120459876', mailboxes: [{ address: 'thierry.diaz@labo-test.mssante.fr', type: 'PER' }] }],
  },
  {
    rpps: '10009876543', family: 'SANSBAL', given: 'Paul', profession: { code: '21', display: 'Pharmacien' },
    mailboxes: [],
    roles: [{ finess: '000000000', mailboxes: [] }],
  },
];

export const SANDBOX_STRUCTURES: readonly SandboxStructure[] = [
  {
    finess: '000000000', name: 'CH DE DEMONSTRATION', activitySector: 'SA01',
    mailboxes: [
      { address: 'secretariat@ch-demo.mssante.fr', type: 'ORG', description: 'Secrétariat médical' },
      { address: 'dpi@ch-demo.mssante.fr', type: 'APP', description: 'Boîte applicative du DPI' },
    ],
  },
  { finess: '300017985', name: 'CENTRE D IMAGERIE DE TEST', activitySector: 'SA07', mailboxes: [{ address: 'imagerie@cit-test.mssante.fr', type: 'ORG' }] },
  { finess: '120459876', name: 'LABORATOIRE DE BIOLOGIE DE TEST', activitySector: 'SA25', mailboxes: [] },
];

const identifierType = (code: string): { coding: Array<{ system: string; code: string }> } => ({ coding: [{ system: SYSTEM.identifierType, code }] });

export const practitionerId = (rpps: string): string => `pra-${rpps}`;
export const organizationId = (finess: string): string => `org-${finess}`;
export const roleId = (rpps: string, finess: string): string => `rol-${rpps}-${finess}`;

export function practitionerResource(p: SandboxProfessional): Resource {
  const qualification: unknown[] = [{ code: { coding: [{ system: SYSTEM.profession, ...p.profession }] } }];
  if (p.specialty) qualification.push({ code: { coding: [{ system: SYSTEM.specialty, ...p.specialty }] } });
  return {
    resourceType: 'Practitioner',
    id: practitionerId(p.rpps),
    meta: { profile: [PROFILE.practitioner] },
    identifier: [
      { use: 'official', type: identifierType('IDNPS'), system: SYSTEM.idNatPs, value: `8${p.rpps}` },
      { use: 'official', type: identifierType('RPPS'), system: SYSTEM.rpps, value: p.rpps },
    ],
    active: true,
    name: [{ use: 'usual', family: p.family, given: [p.given], ...(p.prefix ? { prefix: [p.prefix] } : {}) }],
    ...(p.mailboxes.length > 0 ? { telecom: p.mailboxes.map(mailboxTelecom) } : {}),
    qualification,
  };
}

export function roleResources(p: SandboxProfessional, structures: readonly SandboxStructure[]): Resource[] {
  return p.roles.map((r) => {
    const structure = structures.find((s) => s.finess === r.finess);
    return {
      resourceType: 'PractitionerRole',
      id: roleId(p.rpps, r.finess),
      meta: { profile: [PROFILE.practitionerRole] },
      identifier: [{ system: SYSTEM.rpps, value: `${p.rpps}-${r.finess}` }],
      active: true,
      practitioner: { reference: `Practitioner/${practitionerId(p.rpps)}` },
      organization: { reference: `Organization/${organizationId(r.finess)}`, ...(structure ? { display: structure.name } : {}) },
      ...(r.mailboxes.length > 0 ? { telecom: r.mailboxes.map(mailboxTelecom) } : {}),
    };
  });
}

export function organizationResource(s: SandboxStructure): Resource {
  return {
    resourceType: 'Organization',
    id: organizationId(s.finess),
    meta: { profile: [PROFILE.organization] },
    identifier: [
      { use: 'official', type: identifierType('IDNST'), system: SYSTEM.idNatSt, value: `1${s.finess}` },
      { use: 'official', type: identifierType('FINEG'), system: SYSTEM.finess, value: s.finess },
    ],
    active: true,
    type: [
      { coding: [{ system: 'https://mos.esante.gouv.fr/NOS/TRE_R68-TypeOrganisation/FHIR/TRE-R68-TypeOrganisation', code: 'GEOGRAPHICAL-ENTITY' }] },
      { coding: [{ system: SYSTEM.activitySector, code: s.activitySector }] },
    ],
    name: s.name,
    ...(s.mailboxes.length > 0 ? { telecom: s.mailboxes.map(mailboxTelecom) } : {}),
  };
}

/** Every resource of the sandbox directory, by type. */
export interface SandboxDirectory {
  Practitioner: Resource[];
  PractitionerRole: Resource[];
  Organization: Resource[];
}

export function sandboxDirectory(
  professionals: readonly SandboxProfessional[] = SANDBOX_PROFESSIONALS,
  structures: readonly SandboxStructure[] = SANDBOX_STRUCTURES,
): SandboxDirectory {
  return {
    Practitioner: professionals.map(practitionerResource),
    PractitionerRole: professionals.flatMap((p) => roleResources(p, structures)),
    Organization: structures.map(organizationResource),
  };
}
