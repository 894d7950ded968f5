/**
 * Progress for long CLI jobs, on stderr so stdout stays machine-readable (JSON).
 * On a terminal it redraws one line; elsewhere it prints a line per step and at most one
 * line a second in between.
 */
export class Progress {
  private lastLine = 0;
  private lastStep = '';

  constructor(
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly now: () => number = Date.now,
  ) {}

  update(step: string, done: number, total: number): void {
    const pct = total > 0 ? Math.floor((done / total) * 100) : 100;
    const width = 24;
    const filled = total > 0 ? Math.round((done / total) * width) : width;
    const text = `${step.padEnd(14)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${pct}%`;
    const finished = done >= total;
    if (this.out.isTTY) {
      this.out.write(`\r${text}`);
      if (finished) this.out.write('\n');
      return;
    }
    const t = this.now();
    if (step !== this.lastStep || finished || t - this.lastLine >= 1000) {
      this.out.write(`${text}\n`);
      this.lastLine = t;
      this.lastStep = step;
    }
  }
}
