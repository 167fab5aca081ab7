/**
 * The DMP sandbox's rules that the client never breaks on its own, end to end over real mTLS
 * on loopback and a real database: each request is built with the module's wire builders
 * (buildSoapRequest, buildIti41Body, buildStatusUpdate, buildVihf, MTOM), edited to break one
 * rule, posted with the test PKI's client certificate, and the answer read into the DmpError
 * the client throws. One refusal per rule: code, exact French message, the sandbox's reason,
 * and the sandbox's own counter proving the refusal came from it. Nothing is stored on refusal.
 */
import { randomUUID } from 'node:crypto';
import type { Element } from '@xmldom/xmldom';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childElements, parseXml, serializeXml, XOP_NS, type MtomAttachment } from '../../formats/soap/index.ts';
import { ASSOCIATION_TYPE, RIM_NS, LCM_NS, type DocumentEntry } from '../../formats/xds/index.ts';
import type { DmpError } from './errors.ts';
import { buildIti41Body, type Iti41Document } from './iti41.ts';
import { buildStoredQuery, STORED_QUERY } from './iti18.ts';
import { buildStatusUpdate } from './iti57.ts';
import { AUTHOR, automatonVihf, cda, CONTENT_TYPE, PATIENT, PATIENT_CX, postRaw, rejection, startDmpTestEnv, type DmpTestEnv, type RawRequest } from './test-support.ts';
import { AVAILABILITY, SAML_NS, XDSB_NS } from './wire.ts';

let env: DmpTestEnv;

beforeAll(async () => {
  env = await startDmpTestEnv();
  await env.sandbox.setPatient(PATIENT.matricule, { status: 'active' });
});

afterAll(async () => {
  await env?.close();
});

let oid = 1;
const newOid = (): string => `1.2.250.1.999.8.${Date.now()}.${oid++}`;

/** An ITI-41 body as the client builds it (submission set, documents, XAdES signature document). */
function iti41(documents: Iti41Document[]): { body: string; attachments: MtomAttachment[]; submissionSetUniqueId: string } {
  const submissionSetUniqueId = newOid();
  const built = buildIti41Body({
    submissionSet: { uniqueId: submissionSetUniqueId, sourceId: env.options.sourceId, submissionTime: new Date(), contentTypeCode: CONTENT_TYPE, author: AUTHOR },
    documents,
    signature: { uniqueId: newOid(), signer: env.pki.signing.establishment },
  });
  if (!built.ok) throw new Error(`${built.error.field}: ${built.error.rule}`);
  return { ...built.value, submissionSetUniqueId };
}

/** Edits an XML fragment through the DOM; returns it serialized without declaration. */
function editXml(xml: string, edit: (root: Element) => void): string {
  const doc = parseXml(xml);
  if (!doc.ok) throw new Error(doc.error.rule);
  edit(doc.value.documentElement!);
  return serializeXml(doc.value, false);
}

const remove = (el: Element): void => {
  el.parentNode!.removeChild(el);
};
const registryObjects = (root: Element): Element[] =>
  childElements(childElements(childElements(root, LCM_NS, 'SubmitObjectsRequest')[0]!, RIM_NS, 'RegistryObjectList')[0]!, RIM_NS);

/** Appends a HasMember association (SubmissionSetStatus Reference) from SubmissionSet01 to `target`. */
function appendReference(submitObjects: Element, target: string): void {
  const list = childElements(submitObjects, RIM_NS, 'RegistryObjectList')[0]!;
  const doc = submitObjects.ownerDocument!;
  const association = doc.createElementNS(RIM_NS, 'rim:Association');
  association.setAttribute('id', 'ReferenceAssociation');
  association.setAttribute('objectType', 'urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:Association');
  association.setAttribute('associationType', ASSOCIATION_TYPE.hasMember);
  association.setAttribute('sourceObject', 'SubmissionSet01');
  association.setAttribute('targetObject', target);
  const slot = doc.createElementNS(RIM_NS, 'rim:Slot');
  slot.setAttribute('name', 'SubmissionSetStatus');
  const values = doc.createElementNS(RIM_NS, 'rim:ValueList');
  const value = doc.createElementNS(RIM_NS, 'rim:Value');
  value.textContent = 'Reference';
  values.appendChild(value);
  slot.appendChild(values);
  association.appendChild(slot);
  list.appendChild(association);
}

/** Sends a raw request; returns the DmpError it fails with and how much the sandbox counted. */
async function refused(input: RawRequest): Promise<{ error: DmpError; status: number; counted: number }> {
  const before = env.sandbox.counters();
  const answer = await postRaw(env, input);
  if (!answer.error) throw new Error('the sandbox accepted the request');
  const after = env.sandbox.counters();
  const code = answer.error.code;
  const counted = (after.faults[code] ?? 0) - (before.faults[code] ?? 0) + (after.failures[code] ?? 0) - (before.failures[code] ?? 0);
  return { error: answer.error, status: answer.status, counted };
}

const findDocumentsBody = (): string => buildStoredQuery(STORED_QUERY.findDocuments, { $XDSDocumentEntryPatientId: [PATIENT_CX], $XDSDocumentEntryStatus: [AVAILABILITY.approved] });
const stored = async (d: { entry: DocumentEntry }): Promise<string[]> =>
  (await env.client.getDocuments({ uniqueIds: [d.entry.uniqueId] }, PATIENT)).map((f) => f.status);

describe('DMP sandbox: VIHF', () => {
  it('SANDBOX_VIHF_MISSING: no saml2:Assertion in the SOAP header', async () => {
    const { error, status, counted } = await refused({ transaction: 'iti18', body: findDocumentsBody(), vihf: null });
    expect(error).toMatchObject({ code: 'SANDBOX_VIHF_MISSING', retryable: false, message: "Jeton VIHF absent : l'appel au DMP doit porter l'assertion SAML signée de la structure." });
    expect(error.reason).toMatch(/wsse:Security\/saml2:Assertion absent/);
    expect(status).toBe(500);
    expect(counted).toBe(1);
  });

  it('SANDBOX_VIHF_INVALID: one attribute value changed after signing', async () => {
    const signed = automatonVihf(env.pki, { patientId: PATIENT_CX });
    // the same, untampered, is accepted
    expect((await postRaw(env, { transaction: 'iti18', body: findDocumentsBody(), vihf: signed })).error).toBeUndefined();
    const tampered = editXml(signed, (assertion) => {
      const attribute = Array.from(assertion.getElementsByTagNameNS(SAML_NS, 'Attribute')).find((a) => a.getAttribute('Name') === 'Identifiant_Structure')!;
      const value = childElements(attribute, SAML_NS, 'AttributeValue')[0]!;
      expect(value.textContent).toBe('1750000001');
      value.textContent = '1690000002';
    });
    expect(tampered).toContain('>1690000002<');
    const { error, status, counted } = await refused({ transaction: 'iti18', body: findDocumentsBody(), vihf: tampered });
    expect(error).toMatchObject({ code: 'SANDBOX_VIHF_INVALID', retryable: false, message: 'Jeton VIHF refusé : signature invalide ou attributs manquants.' });
    expect(error.reason).toMatch(/ds:Signature/);
    expect(status).toBe(500);
    expect(counted).toBe(1);
  });

  it('SANDBOX_VIHF_EXPIRED: Conditions@NotOnOrAfter in the past (validly signed)', async () => {
    const issued = new Date(Date.now() - 2 * 3600_000);
    const vihf = automatonVihf(env.pki, { patientId: PATIENT_CX, issueInstant: issued, validityMs: 10 * 60_000 });
    const notOnOrAfter = /NotOnOrAfter="([^"]+)"/.exec(vihf)?.[1];
    expect(new Date(notOnOrAfter!).getTime()).toBeLessThan(Date.now());
    const { error, status, counted } = await refused({ transaction: 'iti18', body: findDocumentsBody(), vihf });
    expect(error).toMatchObject({ code: 'SANDBOX_VIHF_EXPIRED', retryable: false, message: 'Jeton VIHF expiré ou pas encore valide.' });
    expect(error.reason).toContain(`Conditions@NotOnOrAfter ${notOnOrAfter} has passed`);
    expect(status).toBe(500);
    expect(counted).toBe(1);
  });
});

describe('DMP sandbox: ITI-41 submission', () => {
  it('SANDBOX_SIGNATURE_MISSING: ITI-41 without the XAdES signature document', async () => {
    const d = cda();
    const request = iti41([{ entry: d.entry, bytes: d.bytes }]);
    let signatureCid = '';
    const body = editXml(request.body, (root) => {
      for (const o of registryObjects(root)) {
        if (o.getAttribute('id') === 'SignatureDocument' || o.getAttribute('sourceObject') === 'SignatureDocument' || o.getAttribute('targetObject') === 'SignatureDocument') remove(o);
      }
      const part = childElements(root, XDSB_NS, 'Document').find((e) => e.getAttribute('id') === 'SignatureDocument')!;
      signatureCid = childElements(part, XOP_NS, 'Include')[0]!.getAttribute('href')!.replace(/^cid:/, '');
      remove(part);
    });
    expect(body).not.toContain('SignatureDocument');
    expect(body).not.toContain(ASSOCIATION_TYPE.signs);
    const { error, counted } = await refused({ transaction: 'iti41', body, attachments: request.attachments.filter((a) => a.contentId !== signatureCid) });
    expect(error).toMatchObject({ code: 'SANDBOX_SIGNATURE_MISSING', retryable: false, message: 'Document de signature (XAdES) du lot de soumission absent.' });
    expect(error.reason).toBe('no signature document signing the submission set');
    expect(counted).toBe(1);
    expect(await stored(d)).toEqual([]);
  });

  it('SANDBOX_SIGNATURE_INVALID: a validly signed manifest whose digest is not the document sent', async () => {
    const d = cda();
    const other = cda();
    // The signature document is computed over `other`; the document part carries `d`, whose
    // metadata (hash, size) match it: only the manifest digest is wrong.
    const request = iti41([{ entry: d.entry, bytes: other.bytes }]);
    const attachments = request.attachments.map((a, i) => (i === 0 ? { ...a, bytes: d.bytes } : a));
    const { error, counted } = await refused({ transaction: 'iti41', body: request.body, attachments });
    expect(error).toMatchObject({ code: 'SANDBOX_SIGNATURE_INVALID', retryable: false, message: 'Document de signature (XAdES) du lot de soumission invalide.' });
    expect(error.reason).toBe(`ds:Manifest: digest of urn:oid:${d.entry.uniqueId} does not match the document`);
    expect(counted).toBe(1);
    expect(await stored(d)).toEqual([]);
  });

  it('XDSMissingDocument: metadata without the document part', async () => {
    const d = cda();
    const request = iti41([{ entry: d.entry, bytes: d.bytes }]);
    const body = editXml(request.body, (root) => remove(childElements(root, XDSB_NS, 'Document').find((e) => e.getAttribute('id') === 'Document01')!));
    const { error, counted } = await refused({ transaction: 'iti41', body, attachments: request.attachments.slice(1) });
    expect(error).toMatchObject({ code: 'XDSMissingDocument', retryable: false, message: 'Un document décrit par les métadonnées est absent de la soumission.', location: 'Document01' });
    expect(error.reason).toBe('no xdsb:Document for Document01');
    expect(counted).toBe(1);
    expect(await stored(d)).toEqual([]);
  });

  it('XDSMissingDocumentMetadata: a document part without metadata', async () => {
    const d = cda();
    const stray = cda();
    const request = iti41([{ entry: d.entry, bytes: d.bytes }]);
    const body = editXml(request.body, (root) => {
      const doc = root.ownerDocument!;
      const part = doc.createElementNS(XDSB_NS, 'xdsb:Document');
      part.setAttribute('id', 'Document99');
      const include = doc.createElementNS(XOP_NS, 'xop:Include');
      include.setAttribute('href', 'cid:0.99');
      part.appendChild(include);
      root.appendChild(part);
    });
    const { error, counted } = await refused({ transaction: 'iti41', body, attachments: [...request.attachments, { contentId: '0.99', bytes: stray.bytes }] });
    expect(error).toMatchObject({ code: 'XDSMissingDocumentMetadata', retryable: false, message: "Un document joint n'est décrit par aucune métadonnée.", location: 'Document99' });
    expect(error.reason).toBe('xdsb:Document Document99 has no ExtrinsicObject');
    expect(counted).toBe(1);
    expect(await stored(d)).toEqual([]);
  });

  it('UnresolvedReferenceException: an RPLC association to an entry unknown to the registry', async () => {
    const original = cda();
    const replacement = cda({ replaces: original.entry.uniqueId });
    const unknown = `urn:uuid:${randomUUID()}`;
    const request = iti41([{ entry: replacement.entry, bytes: replacement.bytes, replacesEntryUuid: unknown }]);
    expect(request.body).toContain(`targetObject="${unknown}"`);
    const { error, counted } = await refused({ transaction: 'iti41', body: request.body, attachments: request.attachments });
    expect(error).toMatchObject({ code: 'UnresolvedReferenceException', retryable: false, message: 'Un document auquel la soumission fait référence (à remplacer, à modifier ou associé) est introuvable dans le DMP.', location: unknown });
    expect(error.reason).toBe(`RPLC target ${unknown} is not in the registry`);
    expect(counted).toBe(1);
    expect(await stored(replacement)).toEqual([]);
  });

  it('UnresolvedReferenceException: a HasMember association to an entry neither submitted nor registered (was stored dangling)', async () => {
    /** The submission with one more HasMember (SubmissionSetStatus Reference) from the submission set to `target`. */
    const referencing = (target: string): { body: string; attachments: MtomAttachment[]; entry: DocumentEntry } => {
      const d = cda();
      const request = iti41([{ entry: d.entry, bytes: d.bytes }]);
      const body = editXml(request.body, (root) => appendReference(childElements(root, LCM_NS, 'SubmitObjectsRequest')[0]!, target));
      return { body, attachments: request.attachments, entry: d.entry };
    };
    // a reference to an entry of the registry is accepted
    const existing = cda();
    await env.client.publish({ documents: [existing], contentTypeCode: CONTENT_TYPE, author: AUTHOR });
    const [registered] = await env.client.getDocuments({ uniqueIds: [existing.entry.uniqueId] }, PATIENT);
    const accepted = referencing(registered!.entryUuid);
    expect((await postRaw(env, { transaction: 'iti41', body: accepted.body, attachments: accepted.attachments })).error).toBeUndefined();
    expect(await stored(accepted)).toEqual([AVAILABILITY.approved]);
    // a reference to nothing is refused
    const unknown = `urn:uuid:${randomUUID()}`;
    const dangling = referencing(unknown);
    const { error, counted } = await refused({ transaction: 'iti41', body: dangling.body, attachments: dangling.attachments });
    expect(error).toMatchObject({ code: 'UnresolvedReferenceException', retryable: false, message: 'Un document auquel la soumission fait référence (à remplacer, à modifier ou associé) est introuvable dans le DMP.', location: unknown });
    expect(error.reason).toBe(`HasMember SubmissionSet01 → ${unknown}: ${unknown} is neither in the submission nor in the registry`);
    expect(counted).toBe(1);
    expect(await stored(dangling)).toEqual([]);
    expect(await env.client.getAssociations([unknown])).toEqual([]);
  });

  it('SANDBOX_RPLC_NOT_APPROVED: replacing an entry already Deprecated (the client refuses it locally)', async () => {
    const original = cda();
    await env.client.publish({ documents: [original], contentTypeCode: CONTENT_TYPE, author: AUTHOR });
    const first = await env.client.replace({ documents: [cda({ replaces: original.entry.uniqueId })], contentTypeCode: CONTENT_TYPE, author: AUTHOR });
    const [old] = await env.client.getDocuments({ entryUuids: [first.replacedEntryUuid] }, PATIENT);
    expect(old!.status).toBe(AVAILABILITY.deprecated);
    // the client does not even send it: the replaced document is no longer current
    const second = cda({ replaces: original.entry.uniqueId });
    expect(await rejection(env.client.replace({ documents: [second], contentTypeCode: CONTENT_TYPE, author: AUTHOR }))).toMatchObject({ code: 'not_found' });
    // sent anyway, with the RPLC association to the Deprecated entryUUID
    const request = iti41([{ entry: second.entry, bytes: second.bytes, replacesEntryUuid: first.replacedEntryUuid }]);
    const { error, counted } = await refused({ transaction: 'iti41', body: request.body, attachments: request.attachments });
    expect(error).toMatchObject({ code: 'SANDBOX_RPLC_NOT_APPROVED', retryable: false, message: "Le document à remplacer n'est plus actif dans le DMP (déjà remplacé, archivé ou supprimé).", location: first.replacedEntryUuid });
    expect(error.reason).toBe(`RPLC target ${first.replacedEntryUuid} is ${AVAILABILITY.deprecated}`);
    expect(counted).toBe(1);
    expect(await stored(second)).toEqual([]);
    expect((await env.client.getDocuments({ entryUuids: [first.replacedEntryUuid] }, PATIENT))[0]!.status).toBe(AVAILABILITY.deprecated);
  });
});

describe('DMP sandbox: ITI-57 status', () => {
  it('SANDBOX_STATUS_TRANSITION: unarchiving an Approved entry (the client refuses it locally)', async () => {
    const d = cda();
    await env.client.publish({ documents: [d], contentTypeCode: CONTENT_TYPE, author: AUTHOR });
    const [entry] = await env.client.getDocuments({ uniqueIds: [d.entry.uniqueId] }, PATIENT);
    expect(entry!.status).toBe(AVAILABILITY.approved);
    const local = await rejection(env.client.unarchive(d.entry.uniqueId, PATIENT));
    expect(local).toMatchObject({ code: 'SANDBOX_STATUS_TRANSITION', message: 'Changement de statut impossible pour ce document.' });
    const body = buildStatusUpdate({
      submissionSet: { uniqueId: newOid(), sourceId: env.options.sourceId, submissionTime: new Date(), contentTypeCode: CONTENT_TYPE, author: AUTHOR, patientId: PATIENT_CX },
      entryUuid: entry!.entryUuid,
      originalStatus: AVAILABILITY.archived,
      newStatus: AVAILABILITY.approved,
    });
    if (!body.ok) throw new Error(body.error.rule);
    const { error, counted } = await refused({ transaction: 'iti57', body: body.value });
    expect(error).toMatchObject({ code: 'SANDBOX_STATUS_TRANSITION', retryable: false, message: 'Changement de statut impossible pour ce document.', location: entry!.entryUuid });
    expect(error.reason).toBe(`OriginalStatus ${AVAILABILITY.archived} is not the current status ${AVAILABILITY.approved}`);
    expect(counted).toBe(1);
    expect(await stored(d)).toEqual([AVAILABILITY.approved]);
  });

  it('UnresolvedReferenceException (ITI-57): an archive carrying an association to nothing is refused as a whole (was stored dangling)', async () => {
    const d = cda();
    await env.client.publish({ documents: [d], contentTypeCode: CONTENT_TYPE, author: AUTHOR });
    const [entry] = await env.client.getDocuments({ uniqueIds: [d.entry.uniqueId] }, PATIENT);
    const archive = buildStatusUpdate({
      submissionSet: { uniqueId: newOid(), sourceId: env.options.sourceId, submissionTime: new Date(), contentTypeCode: CONTENT_TYPE, author: AUTHOR, patientId: PATIENT_CX },
      entryUuid: entry!.entryUuid,
      originalStatus: AVAILABILITY.approved,
      newStatus: AVAILABILITY.archived,
    });
    if (!archive.ok) throw new Error(archive.error.rule);
    const unknown = `urn:uuid:${randomUUID()}`;
    const body = editXml(archive.value, (root) => appendReference(root, unknown));
    const { error, counted } = await refused({ transaction: 'iti57', body });
    expect(error).toMatchObject({ code: 'UnresolvedReferenceException', retryable: false, message: 'Un document auquel la soumission fait référence (à remplacer, à modifier ou associé) est introuvable dans le DMP.', location: unknown });
    expect(error.reason).toBe(`HasMember SubmissionSet01 → ${unknown}: ${unknown} is neither in the submission nor in the registry`);
    expect(counted).toBe(1);
    expect(await stored(d)).toEqual([AVAILABILITY.approved]);
    expect(await env.client.getAssociations([unknown])).toEqual([]);
    // the same archive without it goes through
    expect((await postRaw(env, { transaction: 'iti57', body: archive.value })).error).toBeUndefined();
    expect(await stored(d)).toEqual([AVAILABILITY.archived]);
  });
});
