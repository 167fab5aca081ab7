/**
 * The sandboxes' pages for people trying the platform (only when the national sandboxes run in
 * the platform's process): the "Mon espace santé" mailbox of a test patient, as a page, as
 * JSON, and each PDF it received. Not part of the platform's API in production.
 */
import { z } from 'zod';
import { patientMailboxHtml, patientMailboxMessage, type MssanteSandbox } from '../national/mssante/index.ts';
import { DomainError } from '../platform/errors.ts';
import type { HttpServer } from '../platform/http/index.ts';

const matricule = z.string().regex(/^[1-8]\d{4}\d[0-9AB]\d{8}$/i, 'matricule INS : 15 caractères').transform((m) => m.toUpperCase());
const BASE = '/sandbox/mon-espace-sante';

export function registerSandboxRoutes(app: HttpServer, deps: { mssante: MssanteSandbox }): void {
  const tags = ['bac à sable'];
  const messagesOf = async (m: string) => (await deps.mssante.patientMailbox(m)).map(patientMailboxMessage);

  app.get(`${BASE}/:matricule`, {
    schema: { tags, summary: 'Messagerie Mon espace santé d’un patient de test (page)', params: z.object({ matricule }) },
  }, async (req, reply) => {
    const { matricule: m } = req.params;
    return reply.type('text/html; charset=utf-8').send(patientMailboxHtml(m, await messagesOf(m), (uid, i) => `${BASE}/${m}/messages/${uid}/pdfs/${i}`));
  });

  app.get(`${BASE}/:matricule/messages`, {
    schema: { tags, summary: 'Messagerie Mon espace santé d’un patient de test (JSON)', params: z.object({ matricule }) },
  }, async (req) => ({ items: await messagesOf(req.params.matricule) }));

  app.get(`${BASE}/:matricule/messages/:uid/pdfs/:index`, {
    schema: { tags, summary: 'Un PDF reçu par un patient de test', params: z.object({ matricule, uid: z.coerce.number().int().min(1), index: z.coerce.number().int().min(0) }) },
  }, async (req, reply) => {
    const entry = (await deps.mssante.patientMailbox(req.params.matricule)).find((m) => m.uid === req.params.uid);
    const pdf = entry?.pdfs[req.params.index];
    if (!pdf) throw new DomainError('not_found', 'Message ou pièce jointe introuvable dans cette messagerie', 404);
    return reply.type('application/pdf').header('content-disposition', `inline; filename="${pdf.name.replace(/[^\w.-]/g, '_')}"`).send(Buffer.from(pdf.bytes));
  });
}
