// What every route module receives: the typed app, the runtime, the gateways built over it, and the metrics.
import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { Gateways, Runtime } from "../runtime/index.js";
import type { ServerMetrics } from "./metrics.js";

export type ArbiterApp = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, ZodTypeProvider>;

export interface ServerContext {
  app: ArbiterApp;
  runtime: Runtime;
  gateways: Gateways;
  metrics: ServerMetrics;
}
