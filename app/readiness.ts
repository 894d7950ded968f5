/**
 * Readiness: named checks that must all pass before the node takes traffic.
 * Components add their own (the store, the catalog, later the models and indexes).
 */
export interface CheckResult {
  ok: boolean;
  detail?: string;
}

export type ReadinessCheck = () => Promise<CheckResult>;

export class Readiness {
  private readonly checks = new Map<string, ReadinessCheck>();
  private draining = false;

  add(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  /** Once shutting down, the node reports not ready so a load balancer stops sending. */
  markDraining(): void {
    this.draining = true;
  }

  async evaluate(timeoutMs = 3000): Promise<{ ready: boolean; checks: Record<string, CheckResult> }> {
    const entries = [...this.checks.entries()];
    const results = await Promise.all(
      entries.map(async ([name, check]): Promise<[string, CheckResult]> => {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<CheckResult>((resolve) => {
          timer = setTimeout(() => resolve({ ok: false, detail: `timed out after ${timeoutMs} ms` }), timeoutMs);
        });
        try {
          const result = await Promise.race([
            check().catch((err: unknown) => ({ ok: false, detail: err instanceof Error ? err.message : String(err) })),
            timeout,
          ]);
          return [name, result];
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    const checks: Record<string, CheckResult> = Object.fromEntries(results);
    if (this.draining) checks['shutdown'] = { ok: false, detail: 'draining' };
    return { ready: Object.values(checks).every((c) => c.ok), checks };
  }
}
