/**
 * Readiness: named checks that must all pass before the node takes traffic.
 * Components add their own (the store, the catalog, later the models and indexes).
 *
 * A node starting up (`markStarting` … `markStarted`) already listens: /healthz answers, and
 * /readyz says not ready and which startup steps are still running (`step`), e.g. the first
 * start with a sentence model, which embeds the whole knowledge base and catalogue.
 */
export interface CheckResult {
  ok: boolean;
  detail?: string;
}

export type ReadinessCheck = () => Promise<CheckResult>;

export interface StartupStep {
  step: string;
  detail: string;
  /** Seconds since the step began. */
  seconds: number;
}

export class Readiness {
  private readonly checks = new Map<string, ReadinessCheck>();
  private draining = false;
  private startingSince: number | undefined;
  private readonly running = new Map<string, { detail: string; since: number }>();

  /** The node is starting: not ready until `markStarted`, whatever the checks say. */
  markStarting(): void {
    this.startingSince = Date.now();
  }

  /** Everything is loaded and mounted: the checks alone decide from now on. */
  markStarted(): void {
    this.startingSince = undefined;
  }

  get starting(): boolean {
    return this.startingSince !== undefined;
  }

  /** Runs one startup step; while it runs, /readyz names it (`detail`: what it is doing). */
  async step<T>(name: string, detail: string, run: () => Promise<T>): Promise<T> {
    this.running.set(name, { detail, since: Date.now() });
    try {
      return await run();
    } finally {
      this.running.delete(name);
    }
  }

  /** The startup steps running now, oldest first. */
  loading(): StartupStep[] {
    const now = Date.now();
    return [...this.running.entries()].map(([step, s]) => ({ step, detail: s.detail, seconds: Math.round((now - s.since) / 1000) }));
  }

  /** One line for people: "starting for 42 s: understanding (loading the embedding model …)". */
  startupSummary(): string {
    const steps = this.loading();
    const since = this.startingSince === undefined ? 0 : Math.round((Date.now() - this.startingSince) / 1000);
    const what = steps.length > 0 ? steps.map((s) => `${s.step} (${s.detail})`).join(', ') : 'finishing';
    return `starting for ${since} s: ${what}`;
  }

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
    if (this.starting) checks['startup'] = { ok: false, detail: this.startupSummary() };
    if (this.draining) checks['shutdown'] = { ok: false, detail: 'draining' };
    return { ready: Object.values(checks).every((c) => c.ok), checks };
  }
}
