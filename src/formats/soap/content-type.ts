/**
 * SOAP 1.2 HTTP binding media type (RFC 3902; SOAP 1.2 Part 2 §7): the SOAP action travels as
 * the `action` parameter of `application/soap+xml`, not in a SOAPAction header.
 */
import { fail, ok, type Result } from '../result.ts';
import { SOAP12_MEDIA_TYPE } from './namespaces.ts';

export const soapContentType = (action?: string): string =>
  `${SOAP12_MEDIA_TYPE}; charset=utf-8${action ? `; action="${action.replace(/"/g, '')}"` : ''}`;

export interface SoapContentType {
  mediaType: string;
  charset?: string;
  action?: string;
}

/** Reads a Content-Type header; fails unless it is application/soap+xml (SOAP 1.2). */
export function parseSoapContentType(header: string | undefined): Result<SoapContentType> {
  if (!header) return fail('Content-Type', `missing; ${SOAP12_MEDIA_TYPE} expected`);
  const [type = '', ...params] = header.split(';');
  const mediaType = type.trim().toLowerCase();
  if (mediaType !== SOAP12_MEDIA_TYPE) {
    return fail('Content-Type', `"${mediaType}" is not ${SOAP12_MEDIA_TYPE}${mediaType === 'text/xml' ? ' (text/xml is SOAP 1.1)' : ''}`);
  }
  const result: SoapContentType = { mediaType };
  for (const param of params) {
    const eq = param.indexOf('=');
    if (eq < 0) continue;
    const name = param.slice(0, eq).trim().toLowerCase();
    const value = param.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
    if (name === 'charset') result.charset = value.toLowerCase();
    if (name === 'action') result.action = value;
  }
  if (result.charset && result.charset !== 'utf-8') return fail('Content-Type', `charset ${result.charset} not supported, utf-8 expected`);
  return ok(result);
}
