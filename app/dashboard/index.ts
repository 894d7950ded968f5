/**
 * app/dashboard: the supervisors' analytics (summary JSON, CSV export) and the Prometheus
 * metrics endpoint. (Skeleton: the dashboard helper fills it in.)
 */
import express, { type Router } from 'express';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import type { Store } from '../../store/index.js';
import type { ConsoleAuth } from '../console/auth.js';

export interface DashboardOptions {
  store: Store;
  auth: ConsoleAuth;
  /** Clusters unanswered questions. */
  embeddings: EmbeddingsInterface;
  /** The shop's IANA time zone: days in the date range are the shop's days. */
  timeZone: string;
  /** Protects /metrics with `Authorization: Bearer <token>` when set. */
  metricsToken?: string;
}

/** In-process counters and gauges for /metrics. */
export class Metrics {
  inc(_name: string, _labels: Record<string, string> = {}, _by = 1): void {}
}

export function dashboardRoutes(_opts: DashboardOptions & { metrics: Metrics }): Router {
  return express.Router();
}
