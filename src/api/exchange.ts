/**
 * HTTP API of the intermediation platform: per document, the status of each channel (DMP,
 * each MSSanté correspondent, the patient's mailbox) with times, errors and history; manual
 * retry of a failed sending; the counters of the vérification d'aptitude.
 */
import { z } from 'zod';
import type { ExchangeService } from '../exchange/index.ts';
import type { HttpServer } from '../platform/http/index.ts';
import { actorOf } from './actor.ts';

export function registerExchangeRoutes(app: HttpServer, deps: { exchange: ExchangeService }): void {
  const { exchange } = deps;
  const tags = ['envois'];

  app.get('/api/documents/:id/dispatches', {
    schema: { tags, summary: 'Suivi des envois d’un document : DMP, MSSanté professionnels, MSSanté patient', params: z.object({ id: z.uuid() }) },
  }, async (req) => ({ items: await exchange.dispatchesOf(req.params.id, actorOf(req)) }));

  app.post('/api/dispatches/:id/retry', {
    schema: { tags, summary: 'Relancer un envoi en échec', params: z.object({ id: z.uuid() }) },
  }, async (req, reply) => {
    await exchange.retry(req.params.id, actorOf(req));
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
