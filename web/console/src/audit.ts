import { ApiError, type Api, type Lang } from './api.js';
import { fill, h } from './dom.js';
import { dateTime, type Strings } from './i18n.js';

/** One entry as GET /api/admin/audit returns it. */
interface AuditItem {
  id: string;
  at: string;
  actor: { kind: string; id?: string; name?: string; role?: string };
  action: string;
  outcome: 'ok' | 'refused';
  targetType?: string;
  targetId?: string;
  details?: Record<string, unknown>;
  ip?: string;
}

/** The console's language, as main.ts set it on the page. */
const pageLang = (): Lang => (document.documentElement.lang.startsWith('zh') ? 'zh' : 'en');

/**
 * The admin's read-only view of the audit log (on the Team page): newest first, filtered by
 * action (an exact verb or a prefix such as `auth.`), 50 at a time. Every value is set as
 * text: an entry's names and details are never parsed as HTML.
 */
export class AuditView {
  private items: AuditItem[] = [];
  private cursor: string | null = null;
  private readonly rows = h('tbody');
  private readonly message = h('p', { class: 'admin-msg', role: 'status', id: 'audit-msg' });
  private readonly filter = h('input', { type: 'search', id: 'audit-filter', maxlength: 100, placeholder: 'auth. · conversation. · customer.export' });
  private readonly more = h('button', { type: 'button', class: 'btn', id: 'audit-more', hidden: true });
  private readonly form = h('form', { class: 'audit-filter' });
  readonly root = h('section', { class: 'audit', id: 'audit-view', 'aria-labelledby': 'audit-title' });

  constructor(
    private readonly api: Api,
    private s: Strings,
  ) {
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.load(true);
    });
    this.more.addEventListener('click', () => void this.load(false));
  }

  setStrings(s: Strings): void {
    this.s = s;
    this.render();
  }

  async load(reset: boolean): Promise<void> {
    const q = new URLSearchParams({ limit: '50' });
    const action = this.filter.value.trim();
    if (action) q.set('action', action);
    if (!reset && this.cursor) q.set('cursor', this.cursor);
    try {
      const page = await this.api.request<{ items: AuditItem[]; nextCursor: string | null }>('GET', `/api/admin/audit?${q.toString()}`);
      this.items = reset ? page.items : [...this.items, ...page.items];
      this.cursor = page.nextCursor;
      this.message.textContent = this.items.length === 0 ? this.s.auditEmpty : '';
      this.message.className = 'admin-msg';
    } catch (err) {
      this.message.className = 'admin-msg bad';
      this.message.textContent = err instanceof ApiError ? err.message : String(err);
    }
    this.renderRows();
  }

  render(): void {
    const { s } = this;
    fill(this.form, [h('label', { for: 'audit-filter' }, [s.auditAction]), this.filter, h('button', { type: 'submit', class: 'btn' }, [s.auditShow])]);
    this.more.textContent = s.auditMore;
    const head = h('tr', {}, [s.auditWhen, s.auditWho, s.auditAction, s.auditTarget, s.auditOutcome, s.auditDetails].map((t) => h('th', { scope: 'col' }, [t])));
    fill(this.root, [h('h2', { id: 'audit-title' }, [s.auditTitle]), this.form, this.message, h('table', { class: 'admin-table audit-table' }, [h('thead', {}, [head]), this.rows]), this.more]);
    this.renderRows();
  }

  private renderRows(): void {
    const { s } = this;
    fill(
      this.rows,
      this.items.map((e) => {
        const who = `${e.actor.name ?? e.actor.id ?? e.actor.kind}${e.actor.role ? ` (${s.roles[e.actor.role] ?? e.actor.role})` : ''}`;
        return h('tr', { 'data-entry': e.id, class: e.outcome === 'refused' ? 'refused' : undefined }, [
          h('td', { title: e.at }, [dateTime(e.at, pageLang())]),
          h('td', { title: e.ip ? `${e.actor.kind} · ${e.ip}` : e.actor.kind }, [who]),
          h('td', {}, [h('code', {}, [e.action])]),
          h('td', {}, [e.targetId ? `${e.targetType ?? ''} ${e.targetId}`.trim() : '']),
          h('td', { class: 'outcome' }, [s.auditOutcomes[e.outcome] ?? e.outcome]),
          h('td', { class: 'details' }, [e.details ? JSON.stringify(e.details) : '']),
        ]);
      }),
    );
    this.more.hidden = this.cursor === null;
  }
}
