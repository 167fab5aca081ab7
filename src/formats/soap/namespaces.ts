/** Namespaces of SOAP 1.2 (W3C SOAP 1.2 Part 1 §5) and WS-Addressing 1.0 (W3C WS-Addr Core §2.1). */
export const SOAP12_NS = 'http://www.w3.org/2003/05/soap-envelope';
/** SOAP 1.1 envelope namespace: recognised only to answer with a VersionMismatch fault. */
export const SOAP11_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
export const WSA_NS = 'http://www.w3.org/2005/08/addressing';
export const XML_NS = 'http://www.w3.org/XML/1998/namespace';
export const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';
/** SOAP 1.2 media type (RFC 3902). */
export const SOAP12_MEDIA_TYPE = 'application/soap+xml';
