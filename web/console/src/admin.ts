import { ApiError, type Api, type AgentLoad, type Lang, type Role } from './api.js';
import { fill, h } from './dom.js';
import type { Strings } from './i18n.js';
import { AuditView } from './audit.js';

/**
 * The admin's team page: every agent with their role, capacity, status and current load,
 * changed in place (PATCH /api/admin/agents/:id), and a form to add one (POST).
 */
export class AdminView {
  private agents: AgentLoad[] = [];
  private readonly table = h('tbody');
  private readonly message = h('p', { class: 'admin-msg', role: 'status', id: 'admin-msg' });
  private readonly form = h('form', { class: 'admin-add', id: 'admin-add', novalidate: true });
  readonly root = h('section', { class: 'admin', id: 'admin-view', 'aria-labelledby': 'admin-title', hidden: true });
  /** The audit log, read-only, under the team. */
  private readonly audit: AuditView;

  constructor(
    private readonly api: Api,
    private s: Strings,
  ) {
    this.form.addEventListener('submit', (e) => void this.add(e));
    this.audit = new AuditView(api, s);
  }

  setStrings(s: Strings): void {
    this.s = s;
    this.audit.setStrings(s);
    this.render();
  }

  async open(): Promise<void> {
    this.root.hidden = false;
    this.render();
    this.audit.render();
    await Promise.all([this.load(), this.audit.load(true)]);
  }

  close(): void {
    this.root.hidden = true;
  }

  private async load(): Promise<void> {
    try {
      this.agents = (await this.api.request<{ agents: AgentLoad[] }>('GET', '/api/admin/agents')).agents;
      this.renderRows();
    } catch (err) {
      this.say(err);
    }
  }

  private say(err: unknown, ok?: string): void {
    this.message.className = `admin-msg ${err ? 'bad' : 'good'}`;
    this.message.setAttribute('role', err ? 'alert' : 'status');
    this.message.textContent = err ? (err instanceof ApiError ? err.message : String(err)) : (ok ?? '');
  }

  private render(): void {
    const { s } = this;
    const head = h('tr', {}, [s.adminName, s.email, s.adminRole, s.adminLanguages, s.adminCapacity, s.adminStatus, s.adminLoad].map((t) => h('th', { scope: 'col' }, [t])));
    fill(this.form, [
      h('h2', {}, [s.adminAdd]),
      h('label', {}, [s.adminName, h('input', { name: 'name', required: true, maxlength: 100 })]),
      h('label', {}, [s.email, h('input', { name: 'email', type: 'email', required: true })]),
      h('label', {}, [s.adminRole, this.roleSelect('agent', 'role')]),
      h('fieldset', {}, [
        h('legend', {}, [s.adminLanguages]),
        h('label', { class: 'inline' }, [h('input', { type: 'checkbox', name: 'lang', value: 'zh', checked: true }), ' 中文']),
        h('label', { class: 'inline' }, [h('input', { type: 'checkbox', name: 'lang', value: 'en', checked: true }), ' English']),
      ]),
      h('label', {}, [s.adminCapacity, h('input', { name: 'capacity', type: 'number', min: 0, max: 100, value: 3 })]),
      h('label', {}, [s.password, h('input', { name: 'password', type: 'password', minlength: 10, autocomplete: 'new-password', required: true })]),
      h('button', { type: 'submit', class: 'btn primary' }, [s.adminAdd]),
    ]);
    fill(this.root, [
      h('h1', { id: 'admin-title' }, [s.adminTitle]),
      this.message,
      h('table', { class: 'admin-table' }, [h('thead', {}, [head]), this.table]),
      this.form,
      this.audit.root,
    ]);
    this.renderRows();
  }

  private roleSelect(value: Role, name?: string): HTMLSelectElement {
    const sel = h('select', { name, 'aria-label': this.s.adminRole });
    for (const r of ['agent', 'supervisor', 'admin'] as const) sel.appendChild(h('option', { value: r, selected: r === value }, [this.s.roles[r] ?? r]));
    return sel;
  }

  private renderRows(): void {
    const { s } = this;
    fill(
      this.table,
      this.agents.map((a) => {
        const role = this.roleSelect(a.role);
        role.addEventListener('change', () => void this.patch(a, { role: role.value }));
        const cap = h('input', { type: 'number', min: 0, max: 100, value: a.capacity, 'aria-label': s.adminCapacity, class: 'cap' });
        cap.addEventListener('change', () => void this.patch(a, { capacity: Number(cap.value) }));
        const status = h('select', { 'aria-label': s.adminStatus });
        for (const st of ['online', 'away', 'offline']) status.appendChild(h('option', { value: st, selected: st === a.status }, [s.statuses[st] ?? st]));
        status.addEventListener('change', () => void this.patch(a, { status: status.value }));
        return h('tr', { 'data-id': a.id }, [
          h('td', {}, [a.name]),
          h('td', {}, [a.email]),
          h('td', {}, [role]),
          h('td', {}, [a.languages.map((l: Lang) => s.langs[l] ?? l).join(' / ')]),
          h('td', {}, [cap]),
          h('td', {}, [status]),
          h('td', { class: 'load' }, [`${a.load}/${a.capacity}`]),
        ]);
      }),
    );
  }

  private async patch(a: AgentLoad, change: Record<string, unknown>): Promise<void> {
    try {
      const r = await this.api.request<{ agent: AgentLoad }>('PATCH', `/api/admin/agents/${encodeURIComponent(a.id)}`, change);
      this.agents = this.agents.map((x) => (x.id === a.id ? r.agent : x));
      this.say(undefined, this.s.adminSaved(r.agent.name));
    } catch (err) {
      this.say(err);
    }
    this.renderRows();
  }

  private async add(e: Event): Promise<void> {
    e.preventDefault();
    const f = new FormData(this.form);
    const body = {
      name: String(f.get('name') ?? ''),
      email: String(f.get('email') ?? ''),
      role: String(f.get('role') ?? 'agent'),
      languages: f.getAll('lang').map(String),
      capacity: Number(f.get('capacity') ?? 3),
      password: String(f.get('password') ?? ''),
    };
    try {
      const r = await this.api.request<{ agent: AgentLoad }>('POST', '/api/admin/agents', body);
      this.agents = [...this.agents, r.agent];
      this.form.reset();
      this.renderRows();
      this.say(undefined, this.s.adminAdded(r.agent.name));
    } catch (err) {
      this.say(err);
    }
  }
}
