/**
 * ITI-43 Retrieve Document Set (IHE ITI TF-2b §3.43; dmp.md §2 TD3.2): request by repository
 * and document uniqueId; the response carries each document as an MTOM attachment.
 */
import type { Element } from '@xmldom/xmldom';
import { fail, ok, type Result } from '../../formats/result.ts';
import { childElements, cidUrl, contentIdOfHref, firstChildElement, textOf, XOP_NS, type MtomAttachment, type MtomPart } from '../../formats/soap/index.ts';
import { escapeText } from '../../formats/xml.ts';
import { readRegistryStatus, registryErrorList, RESPONSE_STATUS, RS_NS, XDSB_NS, type RegistryErrorFacts, type RegistryStatus } from './wire.ts';

export interface DocumentRequest {
  repositoryUniqueId: string;
  documentUniqueId: string;
}

export function buildRetrieveRequest(requests: DocumentRequest[]): string {
  return `<xdsb:RetrieveDocumentSetRequest xmlns:xdsb="${XDSB_NS}">` +
    requests.map((r) => `<xdsb:DocumentRequest><xdsb:RepositoryUniqueId>${escapeText(r.repositoryUniqueId)}</xdsb:RepositoryUniqueId><xdsb:DocumentUniqueId>${escapeText(r.documentUniqueId)}</xdsb:DocumentUniqueId></xdsb:DocumentRequest>`).join('') +
    '</xdsb:RetrieveDocumentSetRequest>';
}

export function readRetrieveRequest(payload: Element): Result<DocumentRequest[]> {
  if (payload.namespaceURI !== XDSB_NS || payload.localName !== 'RetrieveDocumentSetRequest') return fail('soap:Body', 'xdsb:RetrieveDocumentSetRequest expected');
  const out: DocumentRequest[] = [];
  for (const [i, r] of childElements(payload, XDSB_NS, 'DocumentRequest').entries()) {
    const repositoryUniqueId = textOf(firstChildElement(r, XDSB_NS, 'RepositoryUniqueId'));
    const documentUniqueId = textOf(firstChildElement(r, XDSB_NS, 'DocumentUniqueId'));
    if (!repositoryUniqueId || !documentUniqueId) return fail(`DocumentRequest[${i}]`, 'RepositoryUniqueId and DocumentUniqueId required');
    out.push({ repositoryUniqueId, documentUniqueId });
  }
  if (out.length === 0) return fail('RetrieveDocumentSetRequest', 'at least one DocumentRequest expected');
  return ok(out);
}

export interface RetrievedDocument extends DocumentRequest {
  mimeType: string;
  bytes: Uint8Array;
}

/** Response body and its attachments (Content-IDs `doc<N>`). Failure when `documents` is empty and errors exist. */
export function buildRetrieveResponse(documents: RetrievedDocument[], errors: RegistryErrorFacts[]): { body: string; attachments: MtomAttachment[] } {
  const status = errors.length === 0 ? RESPONSE_STATUS.success : documents.length === 0 ? RESPONSE_STATUS.failure : RESPONSE_STATUS.partialSuccess;
  const attachments: MtomAttachment[] = documents.map((d, i) => ({ contentId: `doc${i + 1}@dmp-sandbox`, bytes: d.bytes }));
  const body =
    `<xdsb:RetrieveDocumentSetResponse xmlns:xdsb="${XDSB_NS}" xmlns:rs="${RS_NS}"><rs:RegistryResponse status="${status}">${registryErrorList(errors)}</rs:RegistryResponse>` +
    documents.map((d, i) =>
      `<xdsb:DocumentResponse><xdsb:RepositoryUniqueId>${escapeText(d.repositoryUniqueId)}</xdsb:RepositoryUniqueId><xdsb:DocumentUniqueId>${escapeText(d.documentUniqueId)}</xdsb:DocumentUniqueId>` +
      `<xdsb:mimeType>${escapeText(d.mimeType)}</xdsb:mimeType><xdsb:Document><xop:Include xmlns:xop="${XOP_NS}" href="${cidUrl(attachments[i]!.contentId)}"/></xdsb:Document></xdsb:DocumentResponse>`).join('') +
    '</xdsb:RetrieveDocumentSetResponse>';
  return { body, attachments };
}

export function readRetrieveResponse(payload: Element, attachments: ReadonlyMap<string, MtomPart>): Result<RegistryStatus & { documents: RetrievedDocument[] }> {
  if (payload.namespaceURI !== XDSB_NS || payload.localName !== 'RetrieveDocumentSetResponse') return fail('soap:Body', 'xdsb:RetrieveDocumentSetResponse expected');
  const response = firstChildElement(payload, RS_NS, 'RegistryResponse');
  if (!response) return fail('RetrieveDocumentSetResponse', 'rs:RegistryResponse required');
  const status = readRegistryStatus(response);
  if (!status.ok) return status;
  const documents: RetrievedDocument[] = [];
  for (const [i, d] of childElements(payload, XDSB_NS, 'DocumentResponse').entries()) {
    const field = `DocumentResponse[${i}]`;
    const repositoryUniqueId = textOf(firstChildElement(d, XDSB_NS, 'RepositoryUniqueId')) ?? '';
    const documentUniqueId = textOf(firstChildElement(d, XDSB_NS, 'DocumentUniqueId')) ?? '';
    const mimeType = textOf(firstChildElement(d, XDSB_NS, 'mimeType')) ?? 'application/octet-stream';
    const document = firstChildElement(d, XDSB_NS, 'Document');
    if (!document) return fail(field, 'xdsb:Document required');
    const include = firstChildElement(document, XOP_NS, 'Include');
    let bytes: Uint8Array;
    if (include) {
      const id = contentIdOfHref(include.getAttribute('href') ?? '');
      if (!id.ok) return id;
      const part = attachments.get(id.value);
      if (!part) return fail(`${field}/xop:Include`, `no part <${id.value}>`);
      bytes = part.bytes;
    } else {
      bytes = Buffer.from(textOf(document) ?? '', 'base64');
    }
    documents.push({ repositoryUniqueId, documentUniqueId, mimeType, bytes });
  }
  return ok({ ...status.value, documents });
}
