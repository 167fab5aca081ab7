/**
 * Delivery and processing receipts (mssante.md §6):
 *
 * - DSN (RFC 3464, multipart/report; report-type=delivery-status) → one `dsn` event per
 *   recipient: action (failed, delayed, delivered, relayed, expanded), status (`5.1.1`),
 *   diagnostic; tied to the original message by the Message-ID of the returned headers, or by
 *   Original-Envelope-Id (the `envelopeId` the client sent as ENVID);
 * - MDN (RFC 8098, report-type=disposition-notification) → `mdn` event: disposition,
 *   `processed`, and the MSSanté processing error `<code>^<label>` (HL7 0357 codes and 900–906);
 * - the plain fallback mail `[KO Intégration système !][<code>] XDM/1.0/DDM+…` (sent when no MDN
 *   was requested, MSSLPS struct-email-standard.md) → `mdn` event from its subject.
 *
 * `buildMdn` / `buildDsn` write them (receiver side and sandbox). Pure; reading never throws.
 */
import { header, newMessageId, parseFieldBlocks, parseMime, rfc5322Date, encodeHeaderText, writeMultipart, type MimePart, type WrittenPart } from './mime.ts';

/** Application codes of MSSanté MDNs (MSSLPS struct-msg-mdn.md). */
export const MDN_PROCESSING_CODES = {
  900: 'Version incorrecte',
  901: 'Auteur non autorisé',
  902: 'Patient inconnu',
  903: 'INS absente',
  904: 'INS incohérente',
  905: 'INS incomplète',
  906: 'Autre erreur',
} as const;
export type MdnProcessingCode = keyof typeof MDN_PROCESSING_CODES;

export type DsnAction = 'failed' | 'delayed' | 'delivered' | 'relayed' | 'expanded';

export interface DsnEvent {
  kind: 'dsn';
  originalMessageId?: string;
  envelopeId?: string;
  recipient: string;
  action: DsnAction;
  /** Enhanced status code, e.g. `5.1.1`. */
  status: string;
  diagnostic?: string;
  reportingMta?: string;
}

export interface MdnEvent {
  kind: 'mdn';
  originalMessageId?: string;
  /** Final-Recipient (the mailbox that processed the message). */
  recipient?: string;
  /** The Disposition field as received. */
  disposition: string;
  /** True when the disposition type is `processed` (or `displayed`) without error. */
  success: boolean;
  /** `processed/Error: 902^Patient inconnu` → { code: '902', label: 'Patient inconnu' }. */
  error?: { code: string; label: string };
  /** From an MDN or from the plain fallback mail. */
  source: 'mdn' | 'mail';
}

export type ReceiptEvent = DsnEvent | MdnEvent;

const stripAddressType = (v: string | undefined): string => (v ?? '').replace(/^[^;]*;\s*/, '').replace(/^<|>$/g, '').trim().toLowerCase();
const field = (block: Array<[string, string]>, name: string): string | undefined => block.find(([k]) => k === name)?.[1];
const ACTIONS: readonly string[] = ['failed', 'delayed', 'delivered', 'relayed', 'expanded'];

function originalHeaders(report: MimePart): MimePart | undefined {
  const returned = report.parts.find((p) => p.contentType === 'text/rfc822-headers' || p.contentType === 'message/rfc822' || p.contentType === 'message/global');
  return returned ? parseMime(returned.body, 0) : undefined;
}

function errorOf(disposition: string): { code: string; label: string } | undefined {
  const m = /\/\s*error\s*[:=]?\s*([^^\s;]+)(?:\^([^;\r\n]*))?/i.exec(disposition) ?? /error\s*:\s*([^^\s;]+)(?:\^([^;\r\n]*))?/i.exec(disposition);
  if (!m) return undefined;
  const code = m[1]!.trim();
  const label = (m[2] ?? '').trim() || (MDN_PROCESSING_CODES as Record<string, string>)[code] || code;
  return { code, label };
}

/** The receipts carried by one raw message; the empty list when it is not a receipt. */
export function readReceipts(raw: Buffer): ReceiptEvent[] {
  let message: MimePart;
  try {
    message = parseMime(raw);
  } catch {
    return [];
  }
  if (message.contentType === 'multipart/report') {
    const type = (message.params['report-type'] ?? '').toLowerCase();
    const original = originalHeaders(message);
    const originalMessageId = original ? header(original, 'message-id') : undefined;
    if (type === 'delivery-status') {
      const status = message.parts.find((p) => p.contentType === 'message/delivery-status' || p.contentType === 'message/global-delivery-status');
      if (!status) return [];
      const [perMessage = [], ...perRecipient] = parseFieldBlocks(status.body);
      const envelopeId = field(perMessage, 'original-envelope-id');
      const reportingMta = field(perMessage, 'reporting-mta');
      return perRecipient.flatMap((block): DsnEvent[] => {
        const action = (field(block, 'action') ?? '').toLowerCase().trim();
        const recipient = stripAddressType(field(block, 'original-recipient') ?? field(block, 'final-recipient'));
        if (!ACTIONS.includes(action) || !recipient) return [];
        const event: DsnEvent = { kind: 'dsn', recipient, action: action as DsnAction, status: (field(block, 'status') ?? '').trim() };
        if (originalMessageId) event.originalMessageId = originalMessageId;
        if (envelopeId) event.envelopeId = envelopeId.trim();
        const diagnostic = field(block, 'diagnostic-code');
        if (diagnostic) event.diagnostic = diagnostic.replace(/^smtp;\s*/i, '');
        if (reportingMta) event.reportingMta = reportingMta.replace(/^dns;\s*/i, '');
        return [event];
      });
    }
    if (type === 'disposition-notification') {
      const part = message.parts.find((p) => p.contentType === 'message/disposition-notification' || p.contentType === 'message/global-disposition-notification');
      if (!part) return [];
      const fields = parseFieldBlocks(part.body).flat();
      const disposition = field(fields, 'disposition') ?? '';
      const error = errorOf(disposition);
      const kind = /;\s*([a-z-]+)/i.exec(disposition)?.[1]?.toLowerCase() ?? '';
      const event: MdnEvent = { kind: 'mdn', disposition, success: !error && (kind === 'processed' || kind === 'displayed'), source: 'mdn' };
      const id = field(fields, 'original-message-id') ?? originalMessageId;
      if (id) event.originalMessageId = id.trim();
      const recipient = stripAddressType(field(fields, 'final-recipient') ?? field(fields, 'original-recipient'));
      if (recipient) event.recipient = recipient;
      if (error) event.error = error;
      return [event];
    }
    return [];
  }
  // Plain fallback: "[KO Intégration système !][902] XDM/1.0/DDM+…" (subject may be RFC 2047-encoded).
  const subject = decodeSubject(header(message, 'subject') ?? '');
  const ko = /^\s*\[KO[^\]]*\]\s*\[(\d{1,3})\]/i.exec(subject);
  if (ko) {
    const code = ko[1]!;
    const event: MdnEvent = {
      kind: 'mdn',
      disposition: `processed/Error: ${code}`,
      success: false,
      error: { code, label: (MDN_PROCESSING_CODES as Record<string, string>)[code] ?? code },
      source: 'mail',
    };
    const replyTo = header(message, 'in-reply-to') ?? header(message, 'references')?.split(/\s+/).pop();
    if (replyTo) event.originalMessageId = replyTo.trim();
    return [event];
  }
  return [];
}

function decodeSubject(s: string): string {
  return s.replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_, _charset: string, enc: string, text: string) =>
    enc.toUpperCase() === 'B' ? Buffer.from(text, 'base64').toString('utf8') : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (__: string, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8'));
}

// ---- building --------------------------------------------------------------------------------

export interface MdnInput {
  /** The mailbox that processed the message (From and Final-Recipient). */
  from: string;
  /** Disposition-Notification-To of the original message. */
  to: string;
  originalMessageId: string;
  originalSubject: string;
  /** Original-Recipient, when known. */
  originalRecipient?: string;
  /** `processed` without error, or the MSSanté processing code (900–906, or an HL7 0357 code). */
  outcome: { processed: true } | { code: MdnProcessingCode | string; label?: string };
  /** The original message (part 3); its headers only when `headersOnly`. */
  original?: Buffer;
  headersOnly?: boolean;
  /** Original attachments attached again (IHE_XDM.zip, PDF), MSSLPS struct-msg-mdn.md. */
  reattach?: Array<{ filename: string; contentType: string; content: Buffer }>;
  reportingUa?: string;
  date?: Date;
}

/** An MDN (RFC 8098) in the MSSanté form; returns the raw message and its Message-ID. */
export function buildMdn(input: MdnInput): { raw: Buffer; messageId: string } {
  const domain = input.from.slice(input.from.lastIndexOf('@') + 1);
  const messageId = newMessageId(domain);
  const error = 'code' in input.outcome ? { code: String(input.outcome.code), label: input.outcome.label ?? (MDN_PROCESSING_CODES as Record<string, string>)[String(input.outcome.code)] ?? 'Erreur' } : undefined;
  const disposition = `automatic-action/MDN-sent-automatically; processed${error ? `/Error: ${error.code}^${error.label}` : ''}`;
  const subject = error ? `[KO Intégration système !][${error.code}] ${input.originalSubject}` : `Accusé de traitement : ${input.originalSubject}`;
  const human = error
    ? `Le message ${input.originalMessageId} n’a pas pu être intégré : ${error.code} ${error.label}.`
    : `Le message ${input.originalMessageId} a été intégré.`;
  const fields = [
    `Reporting-UA: ${input.reportingUa ?? domain}; Passerelle`,
    ...(input.originalRecipient ? [`Original-Recipient: rfc822;${input.originalRecipient}`] : []),
    `Final-Recipient: rfc822;${input.from}`,
    `Original-Message-ID: ${input.originalMessageId}`,
    `Disposition: ${disposition}`,
  ].join('\r\n');
  const parts: WrittenPart[] = [
    { contentType: 'text/plain; charset=utf-8', body: human },
    { contentType: 'message/disposition-notification', body: `${fields}\r\n`, encoding: '7bit' },
  ];
  if (input.original) {
    if (input.headersOnly) parts.push({ contentType: 'text/rfc822-headers', body: splitHeaders(input.original), encoding: '7bit' });
    else parts.push({ contentType: 'message/rfc822', body: input.original.toString('latin1'), encoding: '7bit' });
  }
  for (const a of input.reattach ?? []) parts.push({ contentType: `${a.contentType}; name="${a.filename}"`, headers: { 'Content-Disposition': `attachment; filename="${a.filename}"` }, body: a.content });
  const raw = writeMultipart({
    From: input.from,
    To: input.to,
    Subject: encodeHeaderText(subject),
    Date: rfc5322Date(input.date ?? new Date()),
    'Message-ID': messageId,
    'In-Reply-To': input.originalMessageId,
    References: input.originalMessageId,
    'Auto-Submitted': 'auto-replied',
  }, 'report', { 'report-type': 'disposition-notification' }, parts);
  return { raw, messageId };
}

function splitHeaders(raw: Buffer): string {
  const text = raw.toString('latin1');
  const at = text.search(/\r?\n\r?\n/);
  return (at >= 0 ? text.slice(0, at) : text) + '\r\n';
}

export interface DsnInput {
  reportingMta: string;
  /** Postmaster address of the reporting server. */
  from: string;
  /** The envelope sender of the original message. */
  to: string;
  envelopeId?: string;
  original: Buffer;
  recipients: Array<{ address: string; action: DsnAction; status: string; diagnostic?: string }>;
  date?: Date;
}

/** A DSN (RFC 3464) with the original headers (RET=HDRS). */
export function buildDsn(input: DsnInput): { raw: Buffer; messageId: string } {
  const messageId = newMessageId(input.reportingMta);
  const perMessage = [`Reporting-MTA: dns; ${input.reportingMta}`, ...(input.envelopeId ? [`Original-Envelope-Id: ${input.envelopeId}`] : []), `Arrival-Date: ${rfc5322Date(input.date ?? new Date())}`];
  const perRecipient = input.recipients.map((r) => [
    `Original-Recipient: rfc822;${r.address}`,
    `Final-Recipient: rfc822;${r.address}`,
    `Action: ${r.action}`,
    `Status: ${r.status}`,
    ...(r.diagnostic ? [`Diagnostic-Code: smtp; ${r.diagnostic}`] : []),
  ].join('\r\n'));
  const failed = input.recipients.some((r) => r.action === 'failed');
  const human = failed
    ? `Le message n’a pas pu être distribué à : ${input.recipients.filter((r) => r.action === 'failed').map((r) => r.address).join(', ')}.`
    : `Le message a été distribué à : ${input.recipients.map((r) => r.address).join(', ')}.`;
  const raw = writeMultipart({
    From: `Mail Delivery System <${input.from}>`,
    To: input.to,
    Subject: encodeHeaderText(failed ? 'Échec de distribution du message' : 'Message distribué'),
    Date: rfc5322Date(input.date ?? new Date()),
    'Message-ID': messageId,
    'Auto-Submitted': 'auto-replied',
  }, 'report', { 'report-type': 'delivery-status' }, [
    { contentType: 'text/plain; charset=utf-8', body: human },
    { contentType: 'message/delivery-status', body: `${perMessage.join('\r\n')}\r\n\r\n${perRecipient.join('\r\n\r\n')}\r\n`, encoding: '7bit' },
    { contentType: 'text/rfc822-headers', body: splitHeaders(input.original), encoding: '7bit' },
  ]);
  return { raw, messageId };
}
