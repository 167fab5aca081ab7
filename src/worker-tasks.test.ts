/**
 * The platform's worker threads (platform/workers, worker-tasks.ts): what a task gives on a
 * worker is what it gives on the calling thread, refusals keep their code, and a task that
 * throws does not stop the pool.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Identity } from './identity/index.ts';
import { AUTHOR, CONTENT_TYPE, cda } from './national/dmp/test-support.ts';
import { createMssanteClient, MssanteError, readReceivedMessage } from './national/mssante/index.ts';
import { ensureTestPki } from './platform/pki/index.ts';
import { createWorkerPool, moduleBeside } from './platform/workers/index.ts';
import { PRODUCED_DOCUMENT_TYPE_KEYS as TYPES } from './formats/cda/index.ts';
import { composeExitDocument } from './record/index.ts';
import * as tasks from './worker-tasks.ts';
import { doctor, input, provisional, qualified } from './record/test-support.ts';
import { testDocument } from '../test/support/mssante-documents.ts';

const pool = createWorkerPool({ tasks: moduleBeside(import.meta.url, 'worker-tasks'), local: tasks, size: 2, name: 'test' });
afterAll(() => pool.close());

describe('exit documents composed on worker threads', () => {
  it('gives the same CDA and header as the calling thread, for documents composed concurrently on two workers', async () => {
    const inputs = TYPES.flatMap((type) => [input(qualified, type), input(provisional, type)]);
    const [onWorkers, here] = await Promise.all([Promise.all(inputs.map((i) => pool.run('composeExitDocument', i))), Promise.all(inputs.map((i) => composeExitDocument(i)))]);
    for (const [i, composed] of onWorkers.entries()) {
      const expected = here[i]!;
      if (!composed.ok || !expected.ok) throw new Error(`${inputs[i]!.type}: not composed`);
      expect(composed.value.cda).toBe(expected.value.cda);
      expect(composed.value.header).toEqual(JSON.parse(JSON.stringify(expected.value.header)));
      expect(Buffer.from(composed.value.pdf.subarray(0, 5)).toString()).toBe('%PDF-');
    }
  });

  it('answers bad input with the same refusal as the calling thread', async () => {
    expect(await pool.run('composeExitDocument', { ...input(qualified), author: { ...doctor, specialty: 'NOPE' } })).toMatchObject({ ok: false, error: { field: 'author.specialty' } });
  });

  it('rejects an input the composition throws on, and keeps composing the next ones', async () => {
    await expect(pool.run('composeExitDocument', { ...input(qualified), patient: null as unknown as Identity })).rejects.toMatchObject({ name: 'TypeError' });
    expect((await pool.run('composeExitDocument', input(qualified))).ok).toBe(true);
  });
});

describe('MSSanté messages written on worker threads', () => {
  const sender = {
    address: 'passerelle@ch-test.mssante.fr', nil: 'NIL-TEST', establishment: 'CH de test', sourceId: '1.2.250.1.999.1',
    contentTypeCode: { code: '03', codingScheme: '1.2.250.1.213.2.2', displayName: 'Hospitalisation complète' },
  };
  const document = testDocument('ldl');
  const sending = {
    documents: [{ cda: document.bytes, pdf: document.pdf }], label: 'Lettre de liaison', professionals: ['adam.hoda@test-ci-sis.mssante.fr'],
    visibility: {}, messageKey: 'dispatch-7', time: new Date('2026-11-30T10:00:00Z'),
  };

  it('are the messages the calling thread writes: same envelope, headers and documents', async () => {
    const [onWorker, here] = await Promise.all([pool.run('writeDocumentMessages', sending, sender), tasks.writeDocumentMessages(sending, sender)]);
    expect(onWorker.map(({ raw: _raw, ...m }) => m)).toEqual(here.map(({ raw: _raw, ...m }) => m));
    const [read, expected] = await Promise.all([readReceivedMessage(Buffer.from(onWorker[0]!.raw)), readReceivedMessage(Buffer.from(here[0]!.raw))]);
    expect(read.messageId).toBe('<dispatch-7@ch-test.mssante.fr>');
    expect(read.subject).toBe(expected.subject);
    expect(read.cdas.map((c) => Buffer.from(c.bytes).equals(Buffer.from(document.bytes)))).toEqual([true]);
    expect(read.pdfs.length).toBeGreaterThan(0);
    expect(read.pdfs.every((p) => Buffer.from(p.bytes).equals(Buffer.from(document.pdf)))).toBe(true);
  });

  it('a refusal on a worker reaches the client as the same MssanteError, before any connection', async () => {
    const client = createMssanteClient({
      smtp: { host: '127.0.0.1', port: 1, security: 'tls', tls: { cert: '', key: '' } }, sender,
      write: (s, identity) => pool.run('writeDocumentMessages', s, identity),
    });
    const refused = await client.sendDocuments({ ...sending, professionals: [] }).catch((error: unknown) => error);
    client.close();
    expect(refused).toBeInstanceOf(MssanteError);
    expect(refused).toMatchObject({ mssanteCode: 'invalid_sending', retryable: false });
  });
});

describe('ITI-41 bodies built on worker threads', () => {
  it('are byte for byte the body and attachments the calling thread builds (the XAdES signature included)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'passerelle-workers-'));
    try {
      const pki = await ensureTestPki(dir);
      const document = cda();
      const input = {
        submissionSet: { uniqueId: '1.2.250.1.999.5.1', sourceId: '1.2.250.1.999.1', submissionTime: '20261130120000', contentTypeCode: CONTENT_TYPE, author: AUTHOR },
        documents: [document],
        signature: { uniqueId: '1.2.250.1.999.5.2', signer: pki.signing.establishment, signingTime: new Date('2026-11-30T12:00:00Z') },
      };
      const [onWorker, here] = await Promise.all([pool.run('buildIti41Body', input), tasks.buildIti41Body(input)]);
      if (!onWorker.ok || !here.ok) throw new Error('not built');
      expect(onWorker.value.body).toBe(here.value.body);
      expect(onWorker.value.attachments.map((a) => [a.contentId, Buffer.from(a.bytes).toString('base64')]))
        .toEqual(here.value.attachments.map((a) => [a.contentId, Buffer.from(a.bytes).toString('base64')]));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
