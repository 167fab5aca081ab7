/**
 * HTTP API of the intermediation platform: per document, the status of each channel (DMP,
 * each MSSanté correspondent, the patient's mailbox) with times, errors and history — for a
 * DPI document, and for every outgoing document whatever its source; manual retry of a failed
 * sending; the counters of the vérification d'aptitude.
 */
import { z } from 'zod';
import { DISPATCH_STATUSES, type ExchangeService } from '../exchange/index.ts';
import type { HttpServer } from '../platform/http/index.ts';
import { actorOf } from './actor.ts';

export function registerExchangeRoutes(app: HttpServer, deps: { exchange: ExchangeService }): void {
  const { exchange } = deps;
  const tags = ['envois'];

  app.get('/api/documents/:id/dispatches', {
    schema: { tags, summary: 'Suivi des envois d’un document : DMP, MSSanté professionnels, MSSanté patient', params: z.object({ id: z.uuid() }) },
  }, async (req) => ({ items: await exchange.dispatchesOf(req.params.id, actorOf(req)) }));

  app.get('/api/exchange/documents', {
    schema: {
      tags, summary: 'Suivi de tous les documents envoyés (DPI et plateaux techniques) : les plus récents d’abord, filtrés par origine, période et statut d’un envoi',
      querystring: z.object({
        source: z.enum(['dpi', 'hl7']).optional().describe('dpi : documents validés dans le DPI ; hl7 : documents reçus des plateaux techniques'),
        identityId: z.uuid().optional().describe('Les documents d’un patient (identité du référentiel)'),
        status: z.enum(DISPATCH_STATUSES).optional().describe('Documents dont au moins un envoi a ce statut (p. ex. failed)'),
        from: z.iso.datetime().optional(), to: z.iso.datetime().optional(),
        cursor: z.string().max(200).optional().describe('Page suivante : la valeur `next` de la page précédente'),
        limit: z.coerce.number().int().min(1).max(500).optional(),
      }),
    },
  }, async (req) => {
    const { source, identityId, status, from, to, cursor, limit } = req.query;
    return await exchange.outgoingList({
      ...(source ? { source } : {}), ...(identityId ? { identityId } : {}), ...(status ? { status } : {}), ...(limit ? { limit } : {}), ...(cursor ? { cursor } : {}),
      ...(from ? { from: new Date(from) } : {}), ...(to ? { to: new Date(to) } : {}),
    }, actorOf(req));
  });

  app.get('/api/exchange/documents/:id', {
    schema: { tags, summary: 'Un document envoyé : chaque envoi avec son historique', params: z.object({ id: z.uuid() }) },
  }, async (req) => await exchange.outgoing(req.params.id, actorOf(req)));

  app.post('/api/dispatches/:id/retry', {
    schema: { tags, summary: 'Relancer un envoi en échec', params: z.object({ id: z.uuid() }) },
  }, async (req, reply) => {
    await exchange.retry(req.params.id, actorOf(req));
    return reply.status(202).send({ status: 'pending' });
  });

  app.post('/api/dispatches/:id/unblock', {
    schema: { tags, summary: 'Envoyer finalement un canal bloqué par l’utilisateur (p. ex. la messagerie du patient après la consultation d’annonce)', params: z.object({ id: z.uuid() }) },
  }, async (req, reply) => {
    await exchange.unblock(req.params.id, actorOf(req));
    return reply.status(202).send({ status: 'pending' });
  });

  app.get('/api/exchange/counters', {
    schema: {
      tags, summary: 'Compteurs de la vérification d’aptitude : documents envoyés au DMP (INS qualifiée), par MSSanté, messages aux patients',
      querystring: z.object({ from: z.iso.datetime().optional(), to: z.iso.datetime().optional() }),
    },
  }, async (req) => await exchange.counters({
    ...(req.query.from ? { from: new Date(req.query.from) } : {}), ...(req.query.to ? { to: new Date(req.query.to) } : {}),
  }));
}
