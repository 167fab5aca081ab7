/**
 * What the DMP client and the DMP sandbox share on the wire (dmp.md §2–§3): namespaces, SOAP
 * actions, service paths, availability statuses, the SOAP 1.2 request envelope (WS-Addressing
 * with mustUnderstand, wsse:Security carrying the VIHF) and the ebRS RegistryResponse.
 *
 * XML is written as strings with full escaping (element names fixed here), read with
 * @xmldom/xmldom namespace-exactly.
 */
import type { Element } from '@xmldom/xmldom';
import { fail, ok, type Result } from '../../formats/result.ts';
import { escapeAttribute, escapeText } from '../../formats/xml.ts';
import { SOAP12_NS, WSA_NS, childElements, firstChildElement, textOf } from '../../formats/soap/index.ts';

export const XDSB_NS = 'urn:ihe:iti:xds-b:2007';
export const RS_NS = 'urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0';
export const QUERY_NS = 'urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0';
export const WSSE_NS = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';
export const SAML_NS = 'urn:oasis:names:tc:SAML:2.0:assertion';
export const HL7V3_NS = 'urn:hl7-org:v3';
export const DS_NS = 'http://www.w3.org/2000/09/xmldsig#';

/** SOAP actions (dmp.md §2). */
export const DMP_ACTION = {
  td02: 'urn:hl7-org:v3:PRPA_IN201307UV02',
  iti41: 'urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b',
  iti18: 'urn:ihe:iti:2007:RegistryStoredQuery',
  iti43: 'urn:ihe:iti:2007:RetrieveDocumentSet',
  iti57: 'urn:ihe:iti:2010:UpdateDocumentSet',
} as const;
export type DmpTransaction = keyof typeof DMP_ACTION;

/** Response actions (IHE ITI TF-2 / TF-3 WSDLs). */
export const DMP_RESPONSE_ACTION: Record<DmpTransaction, string> = {
  td02: 'urn:hl7-org:v3:PRPA_IN201307UV02:Response',
  iti41: 'urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-bResponse',
  iti18: 'urn:ihe:iti:2007:RegistryStoredQueryResponse',
  iti43: 'urn:ihe:iti:2007:RetrieveDocumentSetResponse',
  iti57: 'urn:ihe:iti:2010:UpdateDocumentSetResponse',
};

/** Service of each transaction under `<base>/si-dmp-server/v2/services/` (dmp.md §2). */
export const DMP_SERVICE: Record<DmpTransaction, 'patients' | 'repository' | 'registry'> = {
  td02: 'patients',
  iti41: 'repository',
  iti18: 'registry',
  iti43: 'repository',
  iti57: 'registry',
};
export const DMP_SERVICES_PATH = '/si-dmp-server/v2/services';

export const RESPONSE_STATUS = {
  success: 'urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success',
  failure: 'urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure',
  partialSuccess: 'urn:ihe:iti:2007:ResponseStatusType:PartialSuccess',
} as const;

export const ERROR_SEVERITY = 'urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error';

/** Availability statuses: ebRIM plus the CI-SIS ones (dmp.md §5.2, §6). */
export const AVAILABILITY = {
  approved: 'urn:oasis:names:tc:ebxml-regrep:StatusType:Approved',
  deprecated: 'urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated',
  archived: 'urn:asip:ci-sis:2010:StatusType:Archived',
  deleted: 'urn:asip:ci-sis:2010:StatusType:Deleted',
} as const;
export type AvailabilityStatus = (typeof AVAILABILITY)[keyof typeof AVAILABILITY];

/** Association types beyond HasMember/RPLC (ITI TF-3 §4.2.2; dmp.md §5.4, §6). */
export const SIGNS_ASSOCIATION = 'urn:ihe:iti:2007:AssociationType:signs';
export const UPDATE_AVAILABILITY_ASSOCIATION = 'urn:ihe:iti:2010:AssociationType:UpdateAvailabilityStatus';

/** INS OIDs (dmp.md §5.2; formats/ins): production NIR/NIA, test, demonstration. */
export { INS_OID } from '../../formats/ins/index.ts';

// ---- escaping ---------------------------------------------------------------------------------

/** Removes the XML declaration of a document so that it can be embedded. */
export const stripDeclaration = (xml: string): string => xml.replace(/^\uFEFF?\s*<\?xml[^?]*\?>\s*/, '');

// ---- SOAP request -----------------------------------------------------------------------------

export interface SoapRequestInput {
  action: string;
  /** Full service URL (wsa:To). */
  to: string;
  messageId: string;
  /** Signed VIHF assertion (saml2:Assertion), placed in wsse:Security. */
  vihf?: string;
  /** Payload element(s) of soap:Body. */
  body: string;
}

/** SOAP 1.2 request with WS-Addressing (mustUnderstand) and wsse:Security (dmp.md §3). */
export function buildSoapRequest(input: SoapRequestInput): string {
  const mu = ' soap:mustUnderstand="true"';
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<soap:Envelope xmlns:soap="${SOAP12_NS}" xmlns:wsa="${WSA_NS}">` +
    '<soap:Header>' +
    `<wsa:To${mu}>${escapeText(input.to)}</wsa:To>` +
    `<wsa:Action${mu}>${escapeText(input.action)}</wsa:Action>` +
    `<wsa:MessageID>${escapeText(input.messageId)}</wsa:MessageID>` +
    `<wsa:ReplyTo${mu}><wsa:Address>http://www.w3.org/2005/08/addressing/anonymous</wsa:Address></wsa:ReplyTo>` +
    (input.vihf ? `<wsse:Security xmlns:wsse="${WSSE_NS}"${mu}>${stripDeclaration(input.vihf)}</wsse:Security>` : '') +
    '</soap:Header>' +
    `<soap:Body>${stripDeclaration(input.body)}</soap:Body>` +
    '</soap:Envelope>'
  );
}

/** SOAP 1.2 response with wsa:Action and wsa:RelatesTo. */
export function buildSoapResponse(action: string, body: string, relatesTo?: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<soap:Envelope xmlns:soap="${SOAP12_NS}" xmlns:wsa="${WSA_NS}">` +
    `<soap:Header><wsa:Action soap:mustUnderstand="true">${escapeText(action)}</wsa:Action>` +
    (relatesTo ? `<wsa:RelatesTo>${escapeText(relatesTo)}</wsa:RelatesTo>` : '') +
    '</soap:Header>' +
    `<soap:Body>${stripDeclaration(body)}</soap:Body></soap:Envelope>`
  );
}

// ---- RegistryResponse -------------------------------------------------------------------------

export interface RegistryErrorFacts {
  errorCode: string;
  codeContext: string;
  severity?: string;
  location?: string;
}

/** The `rs:RegistryErrorList` of a failure (nothing when there is no error). */
export function registryErrorList(errors: RegistryErrorFacts[]): string {
  if (errors.length === 0) return '';
  const items = errors.map((e) =>
    `<rs:RegistryError errorCode="${escapeAttribute(e.errorCode)}" codeContext="${escapeAttribute(e.codeContext)}" severity="${escapeAttribute(e.severity ?? ERROR_SEVERITY)}"${e.location ? ` location="${escapeAttribute(e.location)}"` : ''}/>`);
  return `<rs:RegistryErrorList>${items.join('')}</rs:RegistryErrorList>`;
}

/** `rs:RegistryResponse` (ITI-41, ITI-57 answers). */
export function buildRegistryResponse(errors: RegistryErrorFacts[] = []): string {
  const status = errors.length === 0 ? RESPONSE_STATUS.success : RESPONSE_STATUS.failure;
  return `<rs:RegistryResponse xmlns:rs="${RS_NS}" status="${status}">${registryErrorList(errors)}</rs:RegistryResponse>`;
}

export interface RegistryStatus {
  status: string;
  errors: RegistryErrorFacts[];
}

/** Reads status and errors of an element of ebRS RegistryResponseType (any of them). */
export function readRegistryStatus(element: Element): Result<RegistryStatus> {
  const status = element.getAttribute('status');
  if (!status) return fail(`${element.localName}@status`, 'required');
  const list = firstChildElement(element, RS_NS, 'RegistryErrorList');
  const errors = list
    ? childElements(list, RS_NS, 'RegistryError').map((e): RegistryErrorFacts => {
        const facts: RegistryErrorFacts = { errorCode: e.getAttribute('errorCode') ?? '', codeContext: e.getAttribute('codeContext') ?? textOf(e) ?? '' };
        const severity = e.getAttribute('severity');
        if (severity) facts.severity = severity;
        const location = e.getAttribute('location');
        if (location) facts.location = location;
        return facts;
      })
    : [];
  return ok({ status, errors });
}
