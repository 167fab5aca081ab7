/**
 * Pure SOAP 1.2 codecs: envelope, fault, WS-Addressing headers, HTTP media type. No I/O.
 */
export * from './namespaces.ts';
export * from './envelope.ts';
export * from './fault.ts';
export * from './addressing.ts';
export * from './content-type.ts';
export { appendElement, childElements, firstChildElement, parseXml, qualifiedName, resolveQName, serializeXml, textOf } from './xml.ts';
export * from './mtom.ts';
