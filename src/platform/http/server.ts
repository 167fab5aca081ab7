/**
 * The HTTP server: fastify with zod schemas (validation, serialisation, OpenAPI at /docs),
 * errors as RFC 9457 problem+json with French titles for staff, and health probes.
 */
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import {
  hasZodFastifySchemaValidationErrors, jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { DomainError } from '../errors.ts';
import type { Logger } from '../logging.ts';

export type HttpServer = FastifyInstance<any, any, any, Logger, ZodTypeProvider>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** An error to return as problem+json: `status`, a French `title`, and details naming the field and rule. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail ?? title);
  }
}

export interface HttpServerOptions {
  logger: Logger;
  version: string;
  /** Readiness check (database reachable, listeners up). */
  ready: () => Promise<void>;
}

export async function createHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const app = Fastify({ loggerInstance: options.logger }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  await app.register(swagger, {
    openapi: {
      info: { title: 'Passerelle API', version: options.version, description: 'Référentiel d’identités (INS, RNIV, PAM), documents, échanges DMP / MSSanté.' },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (hasZodFastifySchemaValidationErrors(error)) {
      const errors = error.validation.map((v) => ({ field: `${error.validationContext ?? 'body'}${v.instancePath.replace(/\//g, '.')}`, rule: v.message }));
      return reply.status(400).type('application/problem+json').send({
        type: 'about:blank', title: 'Requête invalide', status: 400,
        detail: errors.map((e) => `${e.field}: ${e.rule}`).join('; '), errors,
      });
    }
    if (error instanceof DomainError) {
      return reply.status(error.status).type('application/problem+json').send({
        type: 'about:blank', title: error.title, status: error.status, detail: error.message, code: error.code, ...error.details,
      });
    }
    if (error instanceof HttpProblem) {
      return reply.status(error.status).type('application/problem+json').send({
        type: 'about:blank', title: error.title, status: error.status, detail: error.detail, ...error.extra,
      });
    }
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) request.log.error({ err: error }, 'request failed');
    return reply.status(status).type('application/problem+json').send({
      type: 'about:blank', title: status === 500 ? 'Erreur interne' : 'Requête refusée', status,
      detail: status === 500 ? 'Une erreur interne est survenue ; elle a été journalisée.' : error.message,
    });
  });

  app.setNotFoundHandler((request, reply) => reply.status(404).type('application/problem+json').send({
    type: 'about:blank', title: 'Ressource introuvable', status: 404, detail: `${request.method} ${request.url}`,
  }));

  app.get('/health', { schema: { tags: ['platform'], summary: 'Liveness: the process answers' } }, async () => ({ status: 'ok' }));
  app.get('/ready', { schema: { tags: ['platform'], summary: 'Readiness: database reachable, listeners up' } }, async (_req, reply) => {
    try {
      await options.ready();
      return { status: 'ready' };
    } catch (error) {
      return reply.status(503).type('application/problem+json').send({
        type: 'about:blank', title: 'Service indisponible', status: 503, detail: error instanceof Error ? error.message : String(error),
      });
    }
  });
  return app;
}
