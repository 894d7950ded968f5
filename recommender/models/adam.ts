/**
 * Adam (Kingma & Ba) over one flat parameter array. Embedding tables are updated lazily: only
 * the rows a mini-batch touched move (their moments too), as sparse Adam implementations do,
 * so an epoch costs in proportion to the data, not to the number of users times items.
 */
export class Adam {
  private readonly m: Float32Array;
  private readonly v: Float32Array;
  readonly grad: Float32Array;
  private readonly touched: Uint8Array;
  private readonly rows: number[] = [];
  private step = 0;

  constructor(
    readonly params: Float32Array,
    /** Width of a row: an embedding's dimension, or the whole array for dense layers. */
    private readonly width: number,
    private readonly lr: number,
    private readonly l2 = 0,
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.999,
    private readonly eps = 1e-8,
  ) {
    this.m = new Float32Array(params.length);
    this.v = new Float32Array(params.length);
    this.grad = new Float32Array(params.length);
    this.touched = new Uint8Array(Math.ceil(params.length / width));
  }

  /** Marks a row as having a gradient this batch. */
  touch(row: number): void {
    if (this.touched[row] === 0) {
      this.touched[row] = 1;
      this.rows.push(row);
    }
  }

  /** Applies one Adam step to the touched rows (L2 added to their gradient) and clears them. */
  apply(): void {
    this.step++;
    const c1 = 1 - Math.pow(this.beta1, this.step);
    const c2 = 1 - Math.pow(this.beta2, this.step);
    const { params, m, v, grad, width } = this;
    for (const row of this.rows) {
      const end = row * width + width;
      for (let k = row * width; k < end; k++) {
        const g = grad[k]! + this.l2 * params[k]!;
        const mk = this.beta1 * m[k]! + (1 - this.beta1) * g;
        const vk = this.beta2 * v[k]! + (1 - this.beta2) * g * g;
        m[k] = mk;
        v[k] = vk;
        params[k] = params[k]! - (this.lr * (mk / c1)) / (Math.sqrt(vk / c2) + this.eps);
        grad[k] = 0;
      }
      this.touched[row] = 0;
    }
    this.rows.length = 0;
  }
}
