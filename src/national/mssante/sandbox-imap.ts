/**
 * A minimal IMAP4rev1 server (RFC 3501) for the MSSanté sandbox: implicit TLS on loopback with
 * a client certificate of the test CA required, enough for imapflow and for a Thunderbird-like
 * client reading one INBOX:
 *
 * CAPABILITY, NOOP, LOGOUT, ID, NAMESPACE, ENABLE (accepts nothing), LOGIN, AUTHENTICATE
 * EXTERNAL (the certificate's mailbox), LIST/LSUB, STATUS, SELECT/EXAMINE, CHECK, CLOSE,
 * UNSELECT, [UID] SEARCH, [UID] FETCH (UID, FLAGS, INTERNALDATE, RFC822.SIZE, RFC822[.HEADER],
 * BODY[], BODY.PEEK[], [HEADER], [TEXT], [HEADER.FIELDS (…)], partial <o.n>, ENVELOPE, and the
 * ALL/FAST/FULL macros), [UID] STORE (±FLAGS[.SILENT]), EXPUNGE, UID EXPUNGE, IDLE.
 *
 * Login: the mailbox bound to the certificate's CN logs in whatever the password (applicative
 * mailboxes authenticate by certificate, mssante.md §2); other mailboxes need their password.
 * Test hook: `dropNextFetch()` cuts the connection in the middle of the next BODY[] literal.
 */
import { createServer, type Server, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { sandboxServerTls, type TestPki } from '../../platform/pki/index.ts';
import type { Logger } from '../../platform/logging.ts';
import { parseHeaderBlock } from './mime.ts';
import type { SandboxDirectory } from './sandbox-directory.ts';
import type { MailStore, StoredMessage } from './sandbox-store.ts';

export interface ImapSandboxOptions {
  pki: TestPki;
  host: string;
  port: number;
  directory: SandboxDirectory;
  store: MailStore;
  logger?: Logger;
}

export interface ImapSandbox {
  port: number;
  /** Cuts the connection halfway through the next message body sent. */
  dropNextFetch(): void;
  counters(): { connections: number; fetchedBodies: number; dropped: number };
  close(): Promise<void>;
}

const CAPABILITIES = 'IMAP4rev1 AUTH=EXTERNAL SASL-IR ID NAMESPACE UIDPLUS IDLE UNSELECT LITERAL+';
const SYSTEM_FLAGS = ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft'];

// ---- command parsing ------------------------------------------------------------------------

type Token = string | { literal: Buffer } | Token[] | { quoted: string };

class Reader {
  constructor(readonly text: string, readonly literals: Buffer[], public at = 0) {}
  skipSpaces(): void {
    while (this.text[this.at] === ' ') this.at += 1;
  }
  done(): boolean {
    this.skipSpaces();
    return this.at >= this.text.length;
  }
  token(): Token | undefined {
    this.skipSpaces();
    const c = this.text[this.at];
    if (c === undefined) return undefined;
    if (c === '(') {
      this.at += 1;
      const list: Token[] = [];
      for (;;) {
        this.skipSpaces();
        if (this.text[this.at] === ')') {
          this.at += 1;
          return list;
        }
        const t = this.token();
        if (t === undefined) throw new Error('unterminated list');
        list.push(t);
      }
    }
    if (c === '"') {
      let out = '';
      this.at += 1;
      while (this.at < this.text.length && this.text[this.at] !== '"') {
        if (this.text[this.at] === '\\') this.at += 1;
        out += this.text[this.at] ?? '';
        this.at += 1;
      }
      this.at += 1;
      return { quoted: out };
    }
    const lit = /^\u0000LIT(\d+)\u0000/.exec(this.text.slice(this.at));
    if (lit) {
      this.at += lit[0].length;
      return { literal: this.literals[Number(lit[1])]! };
    }
    // Atom, with [section] (may hold spaces and parentheses) and <partial>.
    let out = '';
    let depth = 0;
    while (this.at < this.text.length) {
      const ch = this.text[this.at]!;
      if (depth === 0 && (ch === ' ' || ch === ')' || ch === '(')) break;
      if (ch === '[') depth += 1;
      if (ch === ']') depth -= 1;
      out += ch;
      this.at += 1;
    }
    return out;
  }
}

const str = (t: Token | undefined): string | undefined => {
  if (t === undefined || Array.isArray(t)) return undefined;
  if (typeof t === 'string') return t === 'NIL' ? undefined : t;
  if ('quoted' in t) return t.quoted;
  return t.literal.toString('utf8');
};

// ---- sequence sets and search ----------------------------------------------------------------

/** A sequence set (`1:3,7,9:*`) read once; `*` stands for the largest number in use. */
type SequenceSet = Array<{ from: number | '*'; to: number | '*' }>;

function parseSequenceSet(set: string): SequenceSet {
  return set.split(',').map((range) => {
    const [a, b] = range.split(':');
    const from = a === '*' ? '*' : Number(a);
    return { from, to: b === undefined ? from : b === '*' ? '*' : Number(b) };
  });
}

function inSet(set: SequenceSet, value: number, max: number): boolean {
  return set.some((range) => {
    const lo = range.from === '*' ? max : range.from;
    const hi = range.to === '*' ? max : range.to;
    return value >= Math.min(lo, hi) && value <= Math.max(lo, hi);
  });
}

interface View {
  uids: number[];
  byUid: Map<number, StoredMessage>;
  /** The store's message list this view was last brought up to date with. */
  source: readonly StoredMessage[];
}

type Matcher = (m: StoredMessage, seq: number, view: View, raw: () => Promise<Buffer>) => Promise<boolean>;

function searchKey(tokens: Token[], i: { at: number }): Matcher {
  const t = tokens[i.at++];
  if (Array.isArray(t)) {
    const inner = t.length > 0 ? searchAll(t) : async () => true;
    return inner;
  }
  const key = (str(t) ?? '').toUpperCase();
  const arg = (): string => str(tokens[i.at++]) ?? '';
  const flag = (f: string, has: boolean): Matcher => async (m) => m.flags.includes(f) === has;
  switch (key) {
    case 'ALL': return async () => true;
    case 'SEEN': return flag('\\Seen', true);
    case 'UNSEEN': return flag('\\Seen', false);
    case 'DELETED': return flag('\\Deleted', true);
    case 'UNDELETED': return flag('\\Deleted', false);
    case 'FLAGGED': return flag('\\Flagged', true);
    case 'UNFLAGGED': return flag('\\Flagged', false);
    case 'ANSWERED': return flag('\\Answered', true);
    case 'UNANSWERED': return flag('\\Answered', false);
    case 'DRAFT': return flag('\\Draft', true);
    case 'UNDRAFT': return flag('\\Draft', false);
    case 'NEW': case 'RECENT': return async () => false;
    case 'OLD': return async () => true;
    case 'KEYWORD': { const k = arg(); return async (m) => m.flags.some((f) => f.toLowerCase() === k.toLowerCase()); }
    case 'UNKEYWORD': { const k = arg(); return async (m) => !m.flags.some((f) => f.toLowerCase() === k.toLowerCase()); }
    case 'UID': { const set = parseSequenceSet(arg()); return async (m, _s, view) => inSet(set, m.uid, view.uids[view.uids.length - 1] ?? 0); }
    case 'NOT': { const inner = searchKey(tokens, i); return async (...a) => !(await inner(...a)); }
    case 'OR': { const x = searchKey(tokens, i); const y = searchKey(tokens, i); return async (...a) => (await x(...a)) || (await y(...a)); }
    case 'LARGER': { const n = Number(arg()); return async (m) => m.size > n; }
    case 'SMALLER': { const n = Number(arg()); return async (m) => m.size < n; }
    case 'SINCE': case 'BEFORE': case 'ON': case 'SENTSINCE': case 'SENTBEFORE': case 'SENTON': {
      const d = Date.parse(arg());
      const day = (iso: string): number => Date.parse(iso.slice(0, 10));
      return async (m) => (key.endsWith('SINCE') ? day(m.internalDate) >= d : key.endsWith('BEFORE') ? day(m.internalDate) < d : day(m.internalDate) === d);
    }
    case 'SUBJECT': case 'FROM': case 'TO': case 'CC': case 'BODY': case 'TEXT': {
      const needle = arg().toLowerCase();
      return async (_m, _s, _v, raw) => {
        const text = (await raw()).toString('utf8');
        if (key === 'BODY' || key === 'TEXT') return text.toLowerCase().includes(needle);
        const head = parseHeaderBlock(text.split(/\r?\n\r?\n/)[0] ?? '');
        return head.some(([k, v]) => k === key.toLowerCase() && v.toLowerCase().includes(needle));
      };
    }
    case 'HEADER': {
      const name = arg().toLowerCase();
      const needle = arg().toLowerCase();
      return async (_m, _s, _v, raw) => parseHeaderBlock((await raw()).toString('utf8').split(/\r?\n\r?\n/)[0] ?? '').some(([k, v]) => k === name && v.toLowerCase().includes(needle));
    }
    default:
      if (/^[\d*:,]+$/.test(key)) {
        const set = parseSequenceSet(key);
        return async (_m, seq, view) => inSet(set, seq, view.uids.length);
      }
      throw new Error(`unsupported search key ${key}`);
  }
}

function searchAll(tokens: Token[]): Matcher {
  const i = { at: 0 };
  const keys: Matcher[] = [];
  if ((str(tokens[0]) ?? '').toUpperCase() === 'CHARSET') i.at = 2;
  while (i.at < tokens.length) keys.push(searchKey(tokens, i));
  return async (...a) => {
    for (const k of keys) if (!(await k(...a))) return false;
    return true;
  };
}

// ---- response writing -----------------------------------------------------------------------

const quote = (s: string): string => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
const nstring = (s: string | undefined): string => (s === undefined || s === '' ? 'NIL' : /[\r\n\u0080-\uffff]/.test(s) ? `{${Buffer.byteLength(s)}}\r\n${s}` : quote(s));

function imapDate(iso: string): string {
  const d = new Date(iso);
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number): string => String(n).padStart(2, '0');
  return `"${p(d.getUTCDate())}-${months[d.getUTCMonth()]}-${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000"`;
}

function envelope(raw: Buffer): string {
  const head = parseHeaderBlock(raw.toString('utf8').split(/\r?\n\r?\n/)[0] ?? '');
  const get = (n: string): string | undefined => head.find(([k]) => k === n)?.[1];
  const addrs = (n: string): string => {
    const v = get(n);
    if (!v) return 'NIL';
    const list = v.split(',').map((a) => {
      const m = /^(.*?)<([^>]+)>/.exec(a.trim());
      const name = m ? m[1]!.trim().replace(/^"|"$/g, '') : '';
      const address = (m ? m[2]! : a.trim());
      const [mailbox, host] = address.split('@');
      return `(${nstring(name || undefined)} NIL ${nstring(mailbox)} ${nstring(host)})`;
    });
    return `(${list.join('')})`;
  };
  const from = addrs('from');
  return `(${nstring(get('date'))} ${nstring(get('subject'))} ${from} ${addrs('sender') === 'NIL' ? from : addrs('sender')} ${addrs('reply-to') === 'NIL' ? from : addrs('reply-to')} ${addrs('to')} ${addrs('cc')} ${addrs('bcc')} ${nstring(get('in-reply-to'))} ${nstring(get('message-id'))})`;
}

function section(raw: Buffer, spec: string): Buffer {
  const sep = raw.indexOf('\r\n\r\n') >= 0 ? raw.indexOf('\r\n\r\n') + 4 : raw.indexOf('\n\n') >= 0 ? raw.indexOf('\n\n') + 2 : raw.length;
  const upper = spec.toUpperCase();
  if (upper === '') return raw;
  if (upper === 'HEADER') return raw.subarray(0, sep);
  if (upper === 'TEXT') return raw.subarray(sep);
  const fields = /^HEADER\.FIELDS(\.NOT)?\s*\(([^)]*)\)$/.exec(upper);
  if (fields) {
    const names = fields[2]!.trim().split(/\s+/).map((n) => n.toLowerCase());
    const lines = raw.subarray(0, sep).toString('latin1').split(/\r?\n(?![ \t])/).filter((l) => l.includes(':'));
    const kept = lines.filter((l) => names.includes(l.slice(0, l.indexOf(':')).trim().toLowerCase()) !== Boolean(fields[1]));
    return Buffer.from(kept.map((l) => `${l}\r\n`).join('') + '\r\n', 'latin1');
  }
  if (upper === '1' || upper === '1.TEXT') return raw.subarray(sep);
  return Buffer.alloc(0);
}

// ---- the server -----------------------------------------------------------------------------

export async function startImapSandbox(options: ImapSandboxOptions): Promise<ImapSandbox> {
  const { directory, store } = options;
  let dropNext = false;
  const counters = { connections: 0, fetchedBodies: 0, dropped: 0 };
  const sockets = new Set<TLSSocket>();

  const server: Server = createServer({ ...sandboxServerTls(options.pki) }, (socket: TLSSocket) => {
    counters.connections += 1;
    sockets.add(socket);
    // Answers go out whole and at once (see runLine): without this, the second write of an
    // answer waits for the client's delayed ACK (Nagle), some 40 ms per command.
    socket.setNoDelay(true);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const peer = socket.getPeerCertificate();
    const cnRaw = peer?.subject?.CN;
    const cn = Array.isArray(cnRaw) ? cnRaw[0] : cnRaw;
    let user: string | undefined;
    let selected: { address: string; readOnly: boolean; view: View } | undefined;
    let buffer = Buffer.alloc(0);
    let pending: { text: string; literals: Buffer[]; need?: number } = { text: '', literals: [] };
    let idleTag: string | undefined;
    let queue = Promise.resolve();
    const send = (line: string | Buffer): void => {
      if (!socket.destroyed) socket.write(line);
    };
    const flush = (): void => {
      while (socket.writableCorked > 0) socket.uncork();
    };

    const refresh = async (): Promise<void> => {
      if (!selected) return;
      const state = await store.list(selected.address);
      const view = selected.view;
      if (state.messages === view.source) return; // the store's lists are never changed in place
      view.source = state.messages;
      const known = new Set(view.uids);
      for (const m of state.messages) {
        view.byUid.set(m.uid, m);
        if (!known.has(m.uid)) view.uids.push(m.uid);
      }
      if (view.uids.length > known.size) send(`* ${view.uids.length} EXISTS\r\n`);
    };

    const fetchOne = async (seq: number, uid: number, items: Token[], isUid: boolean, peekOnly: { seen: boolean }): Promise<void> => {
      const m = selected!.view.byUid.get(uid)!;
      let raw: Buffer | undefined;
      const load = async (): Promise<Buffer> => (raw ??= await store.read(selected!.address, m));
      const parts: Array<string | Buffer> = [];
      const names = items.flatMap((t) => (typeof t === 'string' ? [t] : Array.isArray(t) ? t.filter((x): x is string => typeof x === 'string') : []));
      const expanded = names.flatMap((n) => {
        const u = n.toUpperCase();
        if (u === 'ALL') return ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE'];
        if (u === 'FAST') return ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE'];
        if (u === 'FULL') return ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE'];
        return [n];
      });
      if (isUid && !expanded.some((n) => n.toUpperCase() === 'UID')) expanded.unshift('UID');
      const bodies: Array<{ label: string; data: Buffer }> = [];
      for (const item of expanded) {
        const u = item.toUpperCase();
        if (u === 'UID') parts.push(`UID ${uid}`);
        else if (u === 'FLAGS') continue; // written last, after \Seen may be set
        else if (u === 'INTERNALDATE') parts.push(`INTERNALDATE ${imapDate(m.internalDate)}`);
        else if (u === 'RFC822.SIZE') parts.push(`RFC822.SIZE ${m.size}`);
        else if (u === 'ENVELOPE') parts.push(`ENVELOPE ${envelope(await load())}`);
        else if (u === 'BODYSTRUCTURE' || u === 'BODY') parts.push(`${u} ("TEXT" "PLAIN" ("CHARSET" "UTF-8") NIL NIL "8BIT" ${m.size} 1)`);
        else if (u === 'MODSEQ' || u === 'EMAILID') continue;
        else {
          const bm = /^(BODY(?:\.PEEK)?|BINARY(?:\.PEEK)?)\[([^\]]*)\](?:<(\d+)(?:\.(\d+))?>)?$/i.exec(item) ?? (u === 'RFC822' ? ['', 'BODY', ''] : u === 'RFC822.HEADER' ? ['', 'BODY.PEEK', 'HEADER'] : u === 'RFC822.TEXT' ? ['', 'BODY', 'TEXT'] : null);
          if (!bm) throw new Error(`unsupported fetch item ${item}`);
          let data = section(await load(), bm[2] ?? '');
          const start = bm[3] !== undefined ? Number(bm[3]) : undefined;
          if (start !== undefined) data = data.subarray(start, bm[4] !== undefined ? start + Number(bm[4]) : undefined);
          if (!/PEEK/i.test(bm[1] ?? '')) peekOnly.seen = true;
          const label = u.startsWith('RFC822') ? u : `BODY[${bm[2] ?? ''}]${start !== undefined ? `<${start}>` : ''}`;
          bodies.push({ label, data });
        }
      }
      let flags = m.flags;
      if (peekOnly.seen && !selected!.readOnly && !flags.includes('\\Seen')) {
        const [updated] = await store.setFlags(selected!.address, [uid], (f) => [...f, '\\Seen']);
        if (updated) flags = updated.flags;
      }
      if (expanded.some((n) => n.toUpperCase() === 'FLAGS') || peekOnly.seen) parts.push(`FLAGS (${flags.join(' ')})`);
      send(`* ${seq} FETCH (${parts.join(' ')}`);
      for (const b of bodies) {
        counters.fetchedBodies += 1;
        send(`${parts.length > 0 ? ' ' : ''}${b.label} {${b.data.length}}\r\n`);
        if (dropNext && b.data.length > 0) {
          dropNext = false;
          counters.dropped += 1;
          send(b.data.subarray(0, Math.floor(b.data.length / 2)));
          flush();
          await new Promise((r) => setTimeout(r, 20));
          socket.destroy();
          throw new Error('connection dropped (test hook)');
        }
        send(b.data);
        parts.push('x');
      }
      send(')\r\n');
    };

    const resolveSet = (text: string, isUid: boolean): Array<{ seq: number; uid: number }> => {
      const v = selected!.view;
      const set = parseSequenceSet(text);
      const maxUid = v.uids[v.uids.length - 1] ?? 0;
      const out: Array<{ seq: number; uid: number }> = [];
      v.uids.forEach((uid, i) => {
        if (isUid ? inSet(set, uid, maxUid) : inSet(set, i + 1, v.uids.length)) out.push({ seq: i + 1, uid });
      });
      if (isUid && out.length === 0 && text.includes('*') && maxUid > 0) out.push({ seq: v.uids.length, uid: maxUid });
      return out;
    };

    const handle = async (tag: string, name: string, r: Reader): Promise<void> => {
      const args = (): Token[] => {
        const out: Token[] = [];
        while (!r.done()) out.push(r.token()!);
        return out;
      };
      const ok = (text = `${name} completed`): void => send(`${tag} OK ${text}\r\n`);
      const needAuth = (): boolean => {
        if (user) return true;
        send(`${tag} NO [AUTHENTICATIONFAILED] authenticate first\r\n`);
        return false;
      };
      const needSelected = (): boolean => {
        if (!needAuth()) return false;
        if (selected) return true;
        send(`${tag} BAD no mailbox selected\r\n`);
        return false;
      };
      switch (name) {
        case 'CAPABILITY': send(`* CAPABILITY ${CAPABILITIES}\r\n`); return ok();
        case 'NOOP': case 'CHECK': await refresh(); return ok();
        case 'LOGOUT': send('* BYE Passerelle MSSanté sandbox logging out\r\n'); ok(); socket.end(); return;
        case 'ID': args(); send('* ID ("name" "Passerelle MSSanté sandbox")\r\n'); return ok();
        case 'ENABLE': args(); send('* ENABLED\r\n'); return ok();
        case 'NAMESPACE': if (!needAuth()) return; send('* NAMESPACE (("" "/")) NIL NIL\r\n'); return ok();
        case 'LOGIN': {
          const [u, p] = args().map(str);
          const box = directory.find(u ?? '');
          const byCertificate = box && cn && box.certificateCn === cn;
          if (!box || box.type === 'PAT' || box.status !== 'open' || !(byCertificate || (box.password !== undefined && box.password === p))) {
            options.logger?.info({ event: 'mssante.sandbox.imap.login.refused' }, 'IMAP login refused');
            send(`${tag} NO [AUTHENTICATIONFAILED] invalid credentials or certificate\r\n`);
            return;
          }
          user = box.address;
          return ok(`[CAPABILITY ${CAPABILITIES}] LOGIN completed`);
        }
        case 'AUTHENTICATE': {
          const [mech, initial] = args().map(str);
          if ((mech ?? '').toUpperCase() !== 'EXTERNAL') {
            send(`${tag} NO [CANNOT] only AUTHENTICATE EXTERNAL (client certificate)\r\n`);
            return;
          }
          const authz = initial && initial !== '=' ? Buffer.from(initial, 'base64').toString('utf8') : '';
          const boxes = cn ? directory.ofCertificate(cn) : [];
          const box = authz ? boxes.find((b) => b.address === authz.toLowerCase()) : boxes[0];
          if (!box) {
            send(`${tag} NO [AUTHENTICATIONFAILED] the certificate opens no such mailbox\r\n`);
            return;
          }
          user = box.address;
          return ok(`[CAPABILITY ${CAPABILITIES}] AUTHENTICATE completed`);
        }
        case 'LIST': case 'LSUB': {
          if (!needAuth()) return;
          const [, pattern] = args().map(str);
          if (pattern === '') send(`* ${name} (\\Noselect) "/" ""\r\n`);
          else if (pattern === undefined || /^(\*|%|INBOX)$/i.test(pattern)) send(`* ${name} (\\HasNoChildren) "/" INBOX\r\n`);
          return ok();
        }
        case 'STATUS': {
          if (!needAuth()) return;
          const [box] = args().map(str);
          if ((box ?? '').toUpperCase() !== 'INBOX') { send(`${tag} NO [NONEXISTENT] no such mailbox\r\n`); return; }
          const s = await store.list(user!);
          send(`* STATUS INBOX (MESSAGES ${s.messages.length} UIDNEXT ${s.uidNext} UIDVALIDITY ${s.uidValidity} UNSEEN ${s.messages.filter((m) => !m.flags.includes('\\Seen')).length} RECENT 0)\r\n`);
          return ok();
        }
        case 'SELECT': case 'EXAMINE': {
          if (!needAuth()) return;
          const [box] = args().map(str);
          if ((box ?? '').toUpperCase() !== 'INBOX') { selected = undefined; send(`${tag} NO [NONEXISTENT] no such mailbox\r\n`); return; }
          const s = await store.list(user!);
          selected = { address: user!, readOnly: name === 'EXAMINE', view: { uids: s.messages.map((m) => m.uid), byUid: new Map(s.messages.map((m) => [m.uid, m])), source: s.messages } };
          const keywords = [...new Set(s.messages.flatMap((m) => m.flags).filter((f) => !f.startsWith('\\')))];
          send(`* FLAGS (${[...SYSTEM_FLAGS, ...keywords].join(' ')})\r\n* OK [PERMANENTFLAGS (${SYSTEM_FLAGS.join(' ')} \\*)] flags\r\n`);
          send(`* ${s.messages.length} EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY ${s.uidValidity}] UIDs valid\r\n* OK [UIDNEXT ${s.uidNext}] next UID\r\n`);
          return ok(`[${name === 'EXAMINE' ? 'READ-ONLY' : 'READ-WRITE'}] ${name} completed`);
        }
        case 'CLOSE': case 'UNSELECT': {
          if (!needSelected()) return;
          if (name === 'CLOSE' && !selected!.readOnly) await store.expunge(selected!.address);
          selected = undefined;
          return ok();
        }
        case 'EXPUNGE': {
          if (!needSelected()) return;
          await expunge();
          return ok();
        }
        case 'IDLE': {
          if (!needAuth()) return;
          idleTag = tag;
          send('+ idling\r\n');
          return;
        }
        case 'SEARCH': case 'FETCH': case 'STORE': case 'UID': {
          if (!needSelected()) return;
          let isUid = false;
          let command: string = name;
          if (name === 'UID') {
            isUid = true;
            command = (str(r.token()) ?? '').toUpperCase();
          }
          await refresh();
          if (command === 'SEARCH') {
            const matcher = searchAll(args());
            const found: number[] = [];
            for (const [i, uid] of selected!.view.uids.entries()) {
              const m = selected!.view.byUid.get(uid)!;
              let raw: Buffer | undefined;
              if (await matcher(m, i + 1, selected!.view, async () => (raw ??= await store.read(selected!.address, m)))) found.push(isUid ? uid : i + 1);
            }
            send(`* SEARCH${found.map((n) => ` ${n}`).join('')}\r\n`);
            return ok(`${isUid ? 'UID ' : ''}SEARCH completed`);
          }
          if (command === 'FETCH') {
            const set = str(r.token()) ?? '';
            const itemsToken = r.token();
            const items = Array.isArray(itemsToken) ? itemsToken : itemsToken === undefined ? [] : [itemsToken];
            for (const { seq, uid } of resolveSet(set, isUid)) await fetchOne(seq, uid, items, isUid, { seen: false });
            return ok(`${isUid ? 'UID ' : ''}FETCH completed`);
          }
          if (command === 'STORE') {
            const set = str(r.token()) ?? '';
            const op = (str(r.token()) ?? '').toUpperCase();
            const rest = args();
            const flagList = rest.flatMap((t) => (Array.isArray(t) ? t.map((x) => str(x) ?? '') : [str(t) ?? '']).filter((f) => f !== ''));
            if (selected!.readOnly) { send(`${tag} NO [READ-ONLY] mailbox opened with EXAMINE\r\n`); return; }
            const silent = op.endsWith('.SILENT');
            const mode = op.replace('.SILENT', '');
            if (!['FLAGS', '+FLAGS', '-FLAGS'].includes(mode)) { send(`${tag} BAD unknown STORE operation\r\n`); return; }
            const lower = (f: string): string => f.toLowerCase();
            const targets = resolveSet(set, isUid);
            // One change of the store for the whole set: one write of the UID list.
            const updated = await store.setFlags(selected!.address, targets.map((t) => t.uid), (current) =>
              mode === 'FLAGS' ? flagList : mode === '+FLAGS' ? [...current, ...flagList.filter((f) => !current.map(lower).includes(lower(f)))] : current.filter((f) => !flagList.map(lower).includes(lower(f))));
            const byUid = new Map(updated.map((m) => [m.uid, m]));
            for (const { seq, uid } of targets) {
              const m = byUid.get(uid);
              if (!m) continue;
              selected!.view.byUid.set(uid, m);
              if (!silent) send(`* ${seq} FETCH (${isUid ? `UID ${uid} ` : ''}FLAGS (${m.flags.join(' ')}))\r\n`);
            }
            return ok(`${isUid ? 'UID ' : ''}STORE completed`);
          }
          if (command === 'EXPUNGE' && isUid) {
            const set = str(r.token()) ?? '';
            await expunge(new Set(resolveSet(set, true).map((x) => x.uid)));
            return ok('UID EXPUNGE completed');
          }
          send(`${tag} BAD unsupported UID command\r\n`);
          return;
        }
        default:
          send(`${tag} BAD unknown command ${name.slice(0, 20)}\r\n`);
      }
    };

    const expunge = async (only?: Set<number>): Promise<void> => {
      const gone = new Set(await store.expunge(selected!.address, only));
      const v = selected!.view;
      for (let i = v.uids.length - 1; i >= 0; i--) {
        if (gone.has(v.uids[i]!)) {
          send(`* ${i + 1} EXPUNGE\r\n`);
          v.byUid.delete(v.uids[i]!);
          v.uids.splice(i, 1);
        }
      }
    };

    const execute = async (text: string, literals: Buffer[]): Promise<void> => {
      if (idleTag !== undefined) {
        if (text.trim().toUpperCase() === 'DONE') {
          const t = idleTag;
          idleTag = undefined;
          await refresh();
          send(`${t} OK IDLE terminated\r\n`);
        }
        return;
      }
      const r = new Reader(text, literals);
      const tag = str(r.token());
      const name = (str(r.token()) ?? '').toUpperCase();
      if (!tag || !name) {
        send('* BAD empty command\r\n');
        return;
      }
      try {
        await handle(tag, name, r);
      } catch (error) {
        if (socket.destroyed) return;
        send(`${tag} BAD ${error instanceof Error ? error.message.replace(/[\r\n]/g, ' ') : 'error'}\r\n`);
      }
    };

    /** Commands run one after another; each one's answer is written in one go (corked socket). */
    const runLine = (text: string, literals: Buffer[]): void => {
      queue = queue.then(async () => {
        socket.cork();
        try {
          await execute(text, literals);
        } finally {
          flush();
        }
      });
    };

    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (pending.need !== undefined) {
          if (buffer.length < pending.need) return;
          pending.literals.push(buffer.subarray(0, pending.need));
          pending.text += `\u0000LIT${pending.literals.length - 1}\u0000`;
          buffer = buffer.subarray(pending.need);
          delete pending.need;
        }
        const eol = buffer.indexOf('\r\n');
        if (eol < 0) {
          if (buffer.length > 64 * 1024) socket.destroy();
          return;
        }
        const line = buffer.subarray(0, eol).toString('utf8');
        buffer = buffer.subarray(eol + 2);
        const lit = /\{(\d+)(\+?)\}$/.exec(line);
        if (lit) {
          pending.text += line.slice(0, lit.index);
          pending.need = Number(lit[1]);
          if (pending.need > 50 * 1024 * 1024) return void socket.destroy();
          if (lit[2] !== '+') send('+ Ready for literal data\r\n');
          continue;
        }
        const text = pending.text + line;
        const literals = pending.literals;
        pending = { text: '', literals: [] };
        runLine(text, literals);
      }
    });
    send(`* OK [CAPABILITY ${CAPABILITIES}] Passerelle MSSanté sandbox IMAP ready\r\n`);
  });
  server.on('tlsClientError', () => undefined);
  server.on('error', (error) => options.logger?.warn({ event: 'mssante.sandbox.imap.error', err: error.message }, 'IMAP sandbox error'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    dropNextFetch: () => {
      dropNext = true;
    },
    counters: () => ({ ...counters }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
