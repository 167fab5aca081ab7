/**
 * What the Annuaire Santé FHIR API (v2, profiles `as-dp-*`) and its sandbox share: identifier
 * systems and types (psc-annuaire.md §6.1), the MSSanté mailbox as a `telecom` with its two
 * extensions (mssante.md §8), the minimal resource shapes we write and read, and the readers
 * that turn resources into our model. Readers are total: a malformed resource gives empty
 * values, never an exception.
 */

/** Identifier systems (psc-annuaire.md §6.1). */
export const SYSTEM = {
  /** idNatPs: `8` + RPPS. */
  idNatPs: 'urn:oid:1.2.250.1.71.4.2.1',
  rpps: 'https://rpps.esante.gouv.fr',
  /** Struct_IdNat: `1` + FINESS for a FINESS structure. */
  idNatSt: 'urn:oid:1.2.250.1.71.4.2.2',
  finess: 'https://finess.esante.gouv.fr',
  /** Identifier types (FR Core, table v2-0203 extended). */
  identifierType: 'https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203',
  /** TRE_G15 profession (10 Médecin, 21 Pharmacien…). */
  profession: 'https://mos.esante.gouv.fr/NOS/TRE_G15-ProfessionSante/FHIR/TRE-G15-ProfessionSante',
  /** TRE_R38 spécialité ordinale (SM26 Qualifié en médecine générale…). */
  specialty: 'https://mos.esante.gouv.fr/NOS/TRE_R38-SpecialiteOrdinale/FHIR/TRE-R38-SpecialiteOrdinale',
  /** TRE_R256 type de messagerie (MSSANTE). */
  messagingType: 'https://mos.esante.gouv.fr/NOS/TRE_R256-TypeMessagerie/FHIR/TRE-R256-TypeMessagerie',
  /** TRE_R257 type de BAL (PER, ORG, APP, CAB). */
  mailboxType: 'https://mos.esante.gouv.fr/NOS/TRE_R257-TypeBAL/FHIR/TRE-R257-TypeBAL',
  /** TRE_R02 secteur d'activité (SA01…). */
  activitySector: 'https://mos.esante.gouv.fr/NOS/TRE_R02-SecteurActivite/FHIR/TRE-R02-SecteurActivite',
} as const;

/** Extensions of the mailbox telecom (mssante.md §8). */
export const EXTENSION = {
  emailType: 'https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-contact-point-email-type',
  mailboxMetadata: 'https://interop.esante.gouv.fr/ig/fhir/annuaire/StructureDefinition/as-ext-mailbox-mss-metadata',
} as const;

export const PROFILE = {
  practitioner: 'https://interop.esante.gouv.fr/ig/fhir/annuaire/StructureDefinition/as-dp-practitioner',
  practitionerRole: 'https://interop.esante.gouv.fr/ig/fhir/annuaire/StructureDefinition/as-dp-practitionerrole',
  organization: 'https://interop.esante.gouv.fr/ig/fhir/annuaire/StructureDefinition/as-dp-organization',
} as const;

export const FHIR_JSON = 'application/fhir+json';

/** TRE_R257: personal, organisation, application, cabinet mailbox. */
export type MailboxType = 'PER' | 'ORG' | 'APP' | 'CAB';
const MAILBOX_TYPES: ReadonlySet<string> = new Set(['PER', 'ORG', 'APP', 'CAB']);

export interface Coding {
  system?: string;
  code?: string;
  display?: string;
}
export interface CodeableConcept {
  coding?: Coding[];
  text?: string;
}
export interface Identifier {
  use?: string;
  type?: CodeableConcept;
  system?: string;
  value?: string;
}
export interface Extension {
  url: string;
  valueString?: string;
  valueBoolean?: boolean;
  valueCoding?: Coding;
  valueCodeableConcept?: CodeableConcept;
  extension?: Extension[];
}
export interface ContactPoint {
  system?: string;
  value?: string;
  use?: string;
  extension?: Extension[];
}
export interface Reference {
  reference?: string;
  display?: string;
}
export interface Resource {
  resourceType: string;
  id?: string;
  meta?: { profile?: string[]; lastUpdated?: string };
  [key: string]: unknown;
}
export interface BundleEntry {
  fullUrl?: string;
  resource?: Resource;
  search?: { mode?: 'match' | 'include' | 'outcome' };
}
export interface Bundle extends Resource {
  resourceType: 'Bundle';
  type?: string;
  total?: number;
  link?: Array<{ relation?: string; url?: string }>;
  entry?: BundleEntry[];
}
export interface OperationOutcomeIssue {
  severity?: string;
  code?: string;
  diagnostics?: string;
  expression?: string[];
}
export interface OperationOutcome extends Resource {
  resourceType: 'OperationOutcome';
  issue?: OperationOutcomeIssue[];
}

/** A mailbox as the directory describes it. */
export interface MssanteMailbox {
  address: string;
  type?: MailboxType;
  /** Liste rouge: the owner asked not to be listed publicly. */
  redList?: boolean;
  description?: string;
  service?: string;
}

/** The telecom of one MSSanté mailbox, with its type and metadata extensions. */
export function mailboxTelecom(mailbox: MssanteMailbox): ContactPoint {
  const metadata: Extension[] = [];
  if (mailbox.type) metadata.push({ url: 'type', valueCodeableConcept: { coding: [{ system: SYSTEM.mailboxType, code: mailbox.type }] } });
  metadata.push({ url: 'listeRouge', valueBoolean: mailbox.redList ?? false });
  if (mailbox.description) metadata.push({ url: 'description', valueString: mailbox.description });
  if (mailbox.service) metadata.push({ url: 'service', valueString: mailbox.service });
  return {
    system: 'email',
    value: mailbox.address,
    extension: [
      { url: EXTENSION.emailType, valueCoding: { system: SYSTEM.messagingType, code: 'MSSANTE' } },
      { url: EXTENSION.mailboxMetadata, extension: metadata },
    ],
  };
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const arrayOf = <T>(value: unknown): T[] => (Array.isArray(value) ? (value as T[]) : []);
const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** True when a telecom is an MSSanté mailbox: the email-type extension says MSSANTE, or the domain is `*.mssante.fr`. */
export function isMailboxTelecom(telecom: unknown): telecom is ContactPoint {
  if (!isObject(telecom) || telecom.system !== 'email' || str(telecom.value) === undefined) return false;
  const typed = arrayOf<Extension>(telecom.extension).find((e) => isObject(e) && e.url === EXTENSION.emailType);
  if (typed) return typed.valueCoding?.code === 'MSSANTE';
  return /@([a-z0-9-]+\.)*mssante\.fr$/i.test(String(telecom.value));
}

/** The MSSanté mailboxes among a resource's telecoms. */
export function readMailboxes(telecoms: unknown): MssanteMailbox[] {
  const out: MssanteMailbox[] = [];
  for (const t of arrayOf<unknown>(telecoms)) {
    if (!isMailboxTelecom(t)) continue;
    const mailbox: MssanteMailbox = { address: String(t.value) };
    const metadata = arrayOf<Extension>(t.extension).find((e) => isObject(e) && e.url === EXTENSION.mailboxMetadata);
    for (const sub of arrayOf<Extension>(metadata?.extension)) {
      if (!isObject(sub)) continue;
      if (sub.url === 'type') {
        const code = arrayOf<Coding>(sub.valueCodeableConcept?.coding).find((c) => isObject(c) && MAILBOX_TYPES.has(String(c.code)))?.code
          ?? sub.valueCoding?.code;
        if (code && MAILBOX_TYPES.has(code)) mailbox.type = code as MailboxType;
      } else if (sub.url === 'listeRouge' && typeof sub.valueBoolean === 'boolean') {
        mailbox.redList = sub.valueBoolean;
      } else if (sub.url === 'description' && str(sub.valueString)) {
        mailbox.description = sub.valueString as string;
      } else if (sub.url === 'service' && str(sub.valueString)) {
        mailbox.service = sub.valueString as string;
      }
    }
    out.push(mailbox);
  }
  return out;
}

/** Value of the first identifier with this system. */
export function identifierValue(identifiers: unknown, system: string): string | undefined {
  const found = arrayOf<Identifier>(identifiers).find((i) => isObject(i) && i.system === system && str(i.value) !== undefined);
  return found?.value;
}

export function isBundle(value: unknown): value is Bundle {
  return isObject(value) && value.resourceType === 'Bundle';
}

export function isOperationOutcome(value: unknown): value is OperationOutcome {
  return isObject(value) && value.resourceType === 'OperationOutcome';
}

/** The diagnostics of an OperationOutcome, joined; undefined when there are none. */
export function outcomeText(outcome: OperationOutcome): string | undefined {
  const parts = arrayOf<OperationOutcomeIssue>(outcome.issue).map((i) => (isObject(i) ? str(i.diagnostics) : undefined)).filter((d): d is string => d !== undefined);
  return parts.length > 0 ? parts.join(' ; ') : undefined;
}

/** An OperationOutcome with one error issue. */
export function operationOutcome(code: string, diagnostics: string, expression?: string): OperationOutcome {
  const issue: OperationOutcomeIssue = { severity: 'error', code, diagnostics };
  if (expression) issue.expression = [expression];
  return { resourceType: 'OperationOutcome', issue: [issue] };
}

/** A professional as the client returns it. */
export interface AnnuaireSpecialty {
  /** JDV_J01 code as used by our CDA author (`G15_10/SM26`), or the profession alone (`G15_21`). */
  code: string;
  /** TRE_G15 profession code (`10`). */
  profession: string;
  /** TRE_R38 specialty code (`SM26`), when there is one. */
  specialty?: string;
  display?: string;
}

export interface AnnuairePractitioner {
  /** FHIR logical id in the directory. */
  id: string;
  rpps: string;
  /** `8` + RPPS. */
  idNatPs: string;
  family: string;
  given: string[];
  /** Civilité d'exercice (`DR`, `PR`…) when published. */
  prefix?: string;
  specialties: AnnuaireSpecialty[];
  /** Every MSSanté mailbox: the personal ones (Practitioner) then those of each situation d'exercice. */
  mailboxes: Array<MssanteMailbox & { carrier: 'Practitioner' | 'PractitionerRole'; organizationId?: string }>;
  /** Situations d'exercice (PractitionerRole): the organization reference and their own mailboxes. */
  roles: Array<{ id: string; organizationId?: string; organizationName?: string; mailboxes: MssanteMailbox[] }>;
}

export interface AnnuaireOrganization {
  id: string;
  finess?: string;
  /** Struct_IdNat (`1` + FINESS). */
  idNatSt?: string;
  name: string;
  /** TRE_R02 secteur d'activité when published (`SA01`). */
  activitySector?: string;
  mailboxes: MssanteMailbox[];
}

/** Reads the professions and specialties of `Practitioner.qualification` into JDV_J01 codes. */
export function readSpecialties(qualifications: unknown): AnnuaireSpecialty[] {
  const professions: Coding[] = [];
  const specialties: Coding[] = [];
  for (const q of arrayOf<{ code?: CodeableConcept }>(qualifications)) {
    if (!isObject(q)) continue;
    for (const c of arrayOf<Coding>(q.code?.coding)) {
      if (!isObject(c) || !str(c.code)) continue;
      if (c.system === SYSTEM.profession) professions.push(c);
      else if (c.system === SYSTEM.specialty) specialties.push(c);
    }
  }
  const out: AnnuaireSpecialty[] = [];
  const profession = professions[0];
  for (const p of professions) {
    const mine = p === profession ? specialties : [];
    if (mine.length === 0) {
      out.push({ code: `G15_${p.code}`, profession: p.code as string, ...(p.display ? { display: p.display } : {}) });
      continue;
    }
    for (const s of mine) {
      const display = p.display && s.display ? `${p.display} - ${s.display}` : s.display;
      out.push({ code: `G15_${p.code}/${s.code}`, profession: p.code as string, specialty: s.code as string, ...(display ? { display } : {}) });
    }
  }
  return out;
}

const idOf = (reference: unknown, type: string): string | undefined => {
  const ref = isObject(reference) ? str(reference.reference) : undefined;
  if (!ref) return undefined;
  const match = new RegExp(`(?:^|/)${type}/([^/]+)$`).exec(ref);
  return match?.[1];
};

/** A Practitioner (with the PractitionerRoles that point to it) into our model; undefined without an RPPS. */
export function readPractitioner(resource: Resource, roles: readonly Resource[] = []): AnnuairePractitioner | undefined {
  const rpps = identifierValue(resource.identifier, SYSTEM.rpps) ?? identifierValue(resource.identifier, SYSTEM.idNatPs)?.replace(/^8/, '');
  if (rpps === undefined || resource.id === undefined) return undefined;
  const name = arrayOf<{ family?: unknown; given?: unknown; prefix?: unknown; use?: unknown }>(resource.name).find(isObject);
  const own = readMailboxes(resource.telecom).map((m) => ({ ...m, carrier: 'Practitioner' as const }));
  const mine = roles.filter((r) => idOf(r.practitioner, 'Practitioner') === resource.id);
  const readRoles = mine.map((r) => {
    const organizationId = idOf(r.organization, 'Organization');
    const organizationName = isObject(r.organization) ? str(r.organization.display) : undefined;
    return { id: r.id ?? '', ...(organizationId ? { organizationId } : {}), ...(organizationName ? { organizationName } : {}), mailboxes: readMailboxes(r.telecom) };
  });
  const practitioner: AnnuairePractitioner = {
    id: resource.id,
    rpps,
    idNatPs: identifierValue(resource.identifier, SYSTEM.idNatPs) ?? `8${rpps}`,
    family: str(name?.family) ?? '',
    given: arrayOf<unknown>(name?.given).filter((g): g is string => typeof g === 'string'),
    specialties: readSpecialties(resource.qualification),
    mailboxes: [
      ...own,
      ...readRoles.flatMap((r) => r.mailboxes.map((m) => ({ ...m, carrier: 'PractitionerRole' as const, ...(r.organizationId ? { organizationId: r.organizationId } : {}) }))),
    ],
    roles: readRoles,
  };
  const prefix = arrayOf<unknown>(name?.prefix).find((p): p is string => typeof p === 'string');
  if (prefix) practitioner.prefix = prefix;
  return practitioner;
}

export function readOrganization(resource: Resource): AnnuaireOrganization | undefined {
  if (resource.id === undefined) return undefined;
  const organization: AnnuaireOrganization = { id: resource.id, name: str(resource.name) ?? '', mailboxes: readMailboxes(resource.telecom) };
  const finess = identifierValue(resource.identifier, SYSTEM.finess);
  if (finess) organization.finess = finess;
  const idNatSt = identifierValue(resource.identifier, SYSTEM.idNatSt);
  if (idNatSt) organization.idNatSt = idNatSt;
  for (const type of arrayOf<CodeableConcept>(resource.type)) {
    const sector = arrayOf<Coding>(isObject(type) ? type.coding : undefined).find((c) => isObject(c) && c.system === SYSTEM.activitySector);
    if (sector?.code) organization.activitySector = sector.code;
  }
  return organization;
}
