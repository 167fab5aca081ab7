/**
 * WS-Addressing 1.0 message addressing properties as SOAP header blocks (W3C WS-Addressing
 * 1.0 SOAP Binding §2–3), and the standard WS-Addressing fault subcodes (§6.4).
 */
import type { Element } from '@xmldom/xmldom';
import { SOAP12_NS, WSA_NS } from './namespaces.ts';
import { appendElement, firstChildElement, textOf } from './xml.ts';

export interface AddressingHeaders {
  action: string;
  messageId?: string;
  to?: string;
  relatesTo?: string;
  replyTo?: string;
}

/** Fault subcodes defined by WS-Addressing 1.0 SOAP Binding §6.4. */
export const WSA_FAULT = {
  invalidHeader: 'InvalidAddressingHeader',
  headerRequired: 'MessageAddressingHeaderRequired',
  actionNotSupported: 'ActionNotSupported',
  destinationUnreachable: 'DestinationUnreachable',
} as const;

/** Appends wsa:To, wsa:Action, wsa:MessageID, wsa:RelatesTo, wsa:ReplyTo to a soap:Header. */
export function appendAddressing(header: Element, h: AddressingHeaders, options: { mustUnderstand?: boolean } = {}): void {
  const block = (name: string, text: string): Element => {
    const el = appendElement(header, WSA_NS, `wsa:${name}`, text);
    if (options.mustUnderstand) el.setAttributeNS(SOAP12_NS, `${header.prefix ?? 'soap'}:mustUnderstand`, 'true');
    return el;
  };
  if (h.to) block('To', h.to);
  block('Action', h.action);
  if (h.messageId) block('MessageID', h.messageId);
  if (h.relatesTo) block('RelatesTo', h.relatesTo);
  if (h.replyTo) {
    const replyTo = appendElement(header, WSA_NS, 'wsa:ReplyTo');
    appendElement(replyTo, WSA_NS, 'wsa:Address', h.replyTo);
  }
}

/** Reads the addressing properties found among header blocks (missing ones are left out). */
export function readAddressing(headerBlocks: Element[]): Partial<AddressingHeaders> {
  const out: Partial<AddressingHeaders> = {};
  for (const block of headerBlocks) {
    if (block.namespaceURI !== WSA_NS) continue;
    const text = textOf(block);
    switch (block.localName) {
      case 'Action': if (text) out.action = text; break;
      case 'MessageID': if (text) out.messageId = text; break;
      case 'To': if (text) out.to = text; break;
      case 'RelatesTo': if (text) out.relatesTo = text; break;
      case 'ReplyTo': {
        const address = textOf(firstChildElement(block, WSA_NS, 'Address'));
        if (address) out.replyTo = address;
        break;
      }
    }
  }
  return out;
}

/** A fresh `urn:uuid:` message id. */
export const newMessageId = (): string => `urn:uuid:${globalThis.crypto.randomUUID()}`;
