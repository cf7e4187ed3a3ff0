// The Access tab: who may use the key (who-can) and what a key-policy change adds or removes
// (diff), through the WASM module's who_can and diff. Besides named principals it lists the
// principal classes: every other caller the policy admits ("any principal of account
// 444455556666 (needs its own IAM allow)").
import { whoCan, diffPolicies } from './engine.js';

const $ = (id) => document.getElementById(id);

const PARTNER = {
  Sid: 'Partner', Effect: 'Allow', Principal: { AWS: '*' }, Action: 'kms:Decrypt', Resource: '*',
  Condition: { StringEquals: { 'kms:CallerAccount': '444455556666' } },
};

/** The old policy with a partner statement added (the diff view's starting point). */
function withPartner(text) {
  try {
    const p = JSON.parse(text);
    const st = Array.isArray(p.Statement) ? p.Statement : p.Statement ? [p.Statement] : [];
    return JSON.stringify({ ...p, Statement: [...st, PARTNER] }, null, 2);
  } catch {
    return text;
  }
}

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

function showError(out, r) {
  out.replaceChildren(el('p', { class: 'access-error', role: 'alert' }, `${r.error.field ? `${r.error.field}: ` : ''}${r.error.message}`));
}

function conditionsOf(x) {
  const items = [
    ...x.conditions.map((c) => `if ${c.condition} (${c.from})`),
    ...x.unless.map((u) => `unless ${u}`),
  ];
  return items.length ? el('ul', { class: 'access-conds' }, ...items.map((t) => el('li', {}, t))) : '';
}

function renderRows(out, rows) {
  const body = rows.map((r) => el('tr', { 'data-kind': r.kind, 'data-status': r.status },
    el('td', { class: `status ${r.status}` }, r.status),
    el('td', {}, el('span', { class: 'who' }, r.principal), r.class ? el('span', { class: 'badge muted' }, ' class') : ''),
    el('td', {}, r.action),
    el('td', {}, r.why, conditionsOf(r))));
  out.replaceChildren(el('table', { class: 'access-table' },
    el('thead', {}, el('tr', {}, el('th', {}, 'Status'), el('th', {}, 'Principal'), el('th', {}, 'Action'), el('th', {}, 'Why'))),
    el('tbody', {}, ...body)));
}

function renderChanges(out, r) {
  if (!r.changes.length) {
    out.replaceChildren(el('p', { id: 'diff-summary' }, 'No change in access.'));
    return;
  }
  const mark = { added: '+', removed: '-' };
  const items = r.changes.map((c) => el('li', { 'data-change': c.change, class: `change ${c.change.replace(/ /g, '-')}` },
    el('strong', {}, `${mark[c.change] ?? '~'} ${c.principal}`),
    ` ${c.action}: ${c.before.status} → ${c.after.status} (${c.change})`,
    conditionsOf(c.after)));
  const n = (k) => r.changes.filter((c) => c.change === k).length;
  out.replaceChildren(
    el('p', { id: 'diff-summary', 'data-added': String(r.added_access) },
      `${n('added')} added, ${n('removed')} removed, ${r.changes.length - n('added') - n('removed')} changed${r.added_access ? ' — this change adds access' : ''}`),
    el('ul', { class: 'access-changes' }, ...items));
}

/** `simulator()` returns `{docs: [{kind, name, text}], request}` from the Simulator tab. */
export function setupAccess({ simulator }) {
  const keyPolicy = () => simulator().docs.find((d) => d.kind === 'key')?.text ?? '';
  const request = () => simulator().request ?? {};
  const load = () => {
    const kp = keyPolicy();
    $('access-old').value = kp;
    $('access-new').value = withPartner(kp);
    const r = request();
    if (r.key_arn) $('access-key').value = r.key_arn;
    if (r.action) $('access-actions').value = r.action;
  };
  $('access-load').addEventListener('click', load);
  $('access-form').addEventListener('submit', (e) => e.preventDefault());
  $('access-who').addEventListener('click', () => {
    const r = whoCan({ key_policy: $('access-old').value, key_arn: $('access-key').value || undefined, actions: $('access-actions').value });
    if (!r.ok) return showError($('access-out'), r);
    renderRows($('access-out'), r.rows);
  });
  $('access-diff').addEventListener('click', () => {
    const r = diffPolicies({ old: $('access-old').value, new: $('access-new').value, key_arn: $('access-key').value || undefined, actions: $('access-actions').value });
    if (!r.ok) return showError($('access-out'), r);
    renderChanges($('access-out'), r);
  });
  load();
}
