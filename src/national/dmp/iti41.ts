/**
 * ITI-41 Provide and Register Document Set-b (IHE ITI TF-2b §3.41; dmp.md §2 TD2.1/2.2, §5):
 * the metadata (`lcm:SubmitObjectsRequest` from formats/xds), the documents as MTOM
 * attachments (`xdsb:Document` → `xop:Include`), and the submission-set signature document
 * with its `signs` association (dmp.md §5.4). An entry with `replacesEntryUuid` is a
 * replacement (RPLC, dmp.md §5.5).
 */
import type { Element } from '@xmldom/xmldom';
import { fail, ok, type Result } from '../../formats/result.ts';
import { childElements, cidUrl, contentIdOfHref, firstChildElement, textOf, XOP_NS, type MtomAttachment, type MtomPart } from '../../formats/soap/index.ts';
import { ASSOCIATION_TYPE, buildSubmitObjectsRequest, LCM_NS, readSubmitObjectsRequest, type DocumentEntry, type SubmissionSetInput, type SubmitObjectsRequestFacts } from '../../formats/xds/index.ts';
import { buildSignatureDocument, signatureDocumentEntry } from './signature-document.ts';
import { escapeAttribute } from '../../formats/xml.ts';
import { stripDeclaration, XDSB_NS } from './wire.ts';

export interface Iti41Document {
  entry: DocumentEntry;
  bytes: Uint8Array;
  /** entryUUID of the entry replaced (RPLC), found by ITI-18. */
  replacesEntryUuid?: string;
}

export interface Iti41Input {
  submissionSet: SubmissionSetInput;
  documents: Iti41Document[];
  /** uniqueId of the signature document and the "ORG SIGN" certificate that signs it. */
  signature: { uniqueId: string; signer: { cert: string; key: string }; signingTime?: Date };
}

const SUBMISSION_SET_ID = 'SubmissionSet01';
const SIGNATURE_ID = 'SignatureDocument';

/** The ITI-41 body and its attachments; the error names the input field at fault. */
export function buildIti41Body(input: Iti41Input): Result<{ body: string; attachments: MtomAttachment[] }> {
  if (input.documents.length === 0) return fail('documents', 'at least one document is required');
  const first = input.documents[0]!.entry;
  let signatureBytes: Uint8Array;
  try {
    signatureBytes = buildSignatureDocument({
      uniqueId: input.signature.uniqueId,
      submissionSetUniqueId: input.submissionSet.uniqueId,
      documents: input.documents.map((d) => ({ uniqueId: d.entry.uniqueId, bytes: d.bytes, mimeType: d.entry.mimeType })),
      signer: input.signature.signer,
      ...(input.signature.signingTime ? { signingTime: input.signature.signingTime } : {}),
    });
  } catch (error) {
    return fail('signature.signer', `cannot sign: ${error instanceof Error ? error.message : String(error)}`);
  }
  const submissionTime = input.submissionSet.submissionTime;
  const creationTime = submissionTime instanceof Date ? submissionTime.toISOString().replace(/[-:T]/g, '').slice(0, 14) : submissionTime;
  const signatureEntry = signatureDocumentEntry({ uniqueId: input.signature.uniqueId, bytes: signatureBytes, like: first, author: input.submissionSet.author, creationTime });
  const ids = input.documents.map((_, i) => `Document${String(i + 1).padStart(2, '0')}`);
  const metadata = buildSubmitObjectsRequest({
    submissionSet: { ...input.submissionSet, entryUuid: SUBMISSION_SET_ID },
    entries: [
      ...input.documents.map((d, i) => ({ entryUuid: ids[i]!, entry: d.entry, ...(d.replacesEntryUuid ? { replacesEntryUuid: d.replacesEntryUuid } : {}) })),
      { entryUuid: SIGNATURE_ID, entry: signatureEntry },
    ],
    associations: [{ associationType: ASSOCIATION_TYPE.signs, sourceObject: SIGNATURE_ID, targetObject: SUBMISSION_SET_ID }],
  });
  if (!metadata.ok) return metadata;
  const all = [...input.documents.map((d, i) => ({ id: ids[i]!, bytes: d.bytes })), { id: SIGNATURE_ID, bytes: signatureBytes }];
  const attachments: MtomAttachment[] = all.map((d, i) => ({ contentId: `0.${i + 2}`, bytes: d.bytes }));
  const body =
    `<xdsb:ProvideAndRegisterDocumentSetRequest xmlns:xdsb="${XDSB_NS}">${stripDeclaration(metadata.value)}` +
    all.map((d, i) => `<xdsb:Document id="${escapeAttribute(d.id)}"><xop:Include xmlns:xop="${XOP_NS}" href="${cidUrl(attachments[i]!.contentId)}"/></xdsb:Document>`).join('') +
    '</xdsb:ProvideAndRegisterDocumentSetRequest>';
  return ok({ body, attachments });
}

export interface Iti41Request {
  /** The SubmitObjectsRequest element (kept for storing the metadata as sent). */
  submitObjects: Element;
  facts: SubmitObjectsRequestFacts;
  /** Document bytes by the id of their ExtrinsicObject. */
  documents: Map<string, Uint8Array>;
}

/** Reads an ITI-41 body (XOP includes resolved against `attachments`, or inline base64). */
export function readIti41Request(payload: Element, attachments: ReadonlyMap<string, MtomPart>): Result<Iti41Request> {
  if (payload.namespaceURI !== XDSB_NS || payload.localName !== 'ProvideAndRegisterDocumentSetRequest') return fail('soap:Body', 'xdsb:ProvideAndRegisterDocumentSetRequest expected');
  const submitObjects = firstChildElement(payload, LCM_NS, 'SubmitObjectsRequest');
  if (!submitObjects) return fail('ProvideAndRegisterDocumentSetRequest', 'lcm:SubmitObjectsRequest required');
  const facts = readSubmitObjectsRequest(submitObjects);
  if (!facts.ok) return facts;
  const documents = new Map<string, Uint8Array>();
  for (const [i, d] of childElements(payload, XDSB_NS, 'Document').entries()) {
    const id = d.getAttribute('id');
    if (!id) return fail(`Document[${i}]@id`, 'required');
    if (documents.has(id)) return fail(`Document[${i}]@id`, `${id} used twice`);
    const include = firstChildElement(d, XOP_NS, 'Include');
    if (include) {
      const cid = contentIdOfHref(include.getAttribute('href') ?? '');
      if (!cid.ok) return cid;
      const part = attachments.get(cid.value);
      if (!part) return fail(`Document[${i}]/xop:Include`, `no MIME part <${cid.value}>`);
      documents.set(id, part.bytes);
    } else {
      documents.set(id, Buffer.from(textOf(d) ?? '', 'base64'));
    }
  }
  return ok({ submitObjects, facts: facts.value, documents });
}
