// Renders keyward's Explanation (decision, rule, deciders, fixes, trace, evaluated context) and
// explain errors into the results panel. Handlers connect it back to the editors.

const $ = (id) => document.getElementById(id);

export const DECISION_TEXT = {
  Allow: 'ALLOWED',
  ExplicitDeny: 'DENIED (explicit deny)',
  ImplicitDeny: 'DENIED (implicit deny: nothing allows)',
};

export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null) e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

function sourceName(src, name) {
  switch (src?.type) {
    case 'resource_policy': return 'key policy';
    case 'identity': return `identity policy ${name ? `“${name}”` : `#${src.index + 1}`}`;
    case 'boundary': return 'permissions boundary';
    case 'session': return 'session policy';
    case 'scp': return `SCP ${name ? `“${name}”` : `#${src.index + 1}`} (level ${src.level})`;
    case 'rcp': return `RCP ${name ? `“${name}”` : `#${src.index + 1}`} (level ${src.level})`;
    case 'grant': return `grant ${name || `#${src.index + 1}`}`;
    default: return name || 'policy';
  }
}

function yesNo(ok) {
  return el('span', { class: ok ? 'yes' : 'no', text: ok ? 'yes' : 'NO' });
}

function list(values) {
  return values.map((v) => (v === null ? 'missing' : JSON.stringify(v))).join(', ');
}

export function renderError(error, _handlers) {
  const dec = $('decision');
  dec.className = 'decision error';
  dec.dataset.decision = 'error';
  dec.textContent = 'Cannot decide';
  const where = [error.field, error.line ? `line ${error.line}:${error.column}` : null].filter(Boolean).join(', ');
  $('summary').textContent = `${error.message}${where ? ` (${where})` : ''}`;
  $('deciders').replaceChildren();
  $('fixes').replaceChildren();
  const diags = error.diagnostics || [];
  $('trace').replaceChildren(
    diags.length
      ? el('ul', { class: 'findings-list' }, ...diags.map((d) => el('li', { class: 'finding sev-error', text: `line ${d.line}:${d.column} ${d.code}: ${d.message}` })))
      : '',
  );
}

export function renderResult(r, { showSpan, applyFix }) {
  const dec = $('decision');
  const allow = r.decision === 'Allow';
  dec.className = `decision ${allow ? 'allow' : r.decision === 'ExplicitDeny' ? 'explicit-deny' : 'implicit-deny'}`;
  dec.dataset.decision = r.decision;
  dec.replaceChildren(
    el('span', { class: 'decision-word', text: DECISION_TEXT[r.decision] || r.decision }),
    el('span', { class: 'decision-req', text: `${r.request.principal.arn} → ${r.request.action} on ${r.request.resource}` }),
  );
  $('summary').replaceChildren(el('span', { class: 'why', text: 'Why: ' }), r.summary, ' ', el('code', { class: 'rule', text: r.rule }));

  // The statements that decided.
  const deciders = $('deciders');
  deciders.replaceChildren();
  if (r.deciders.length) {
    deciders.append(
      el('h3', { text: 'Decided by' }),
      el('ul', { class: 'decider-list' }, ...r.deciders.map((d) => el('li', { class: `decider ${d.effect === 'Deny' ? 'deny' : 'allow'}` },
        el('span', { class: 'effect', text: d.effect }), ' ',
        `statement ${d.label} in ${sourceName(d.source, d.policy)} `,
        d.span && d.field
          ? el('button', { type: 'button', class: 'link', text: 'show', 'aria-label': `Show statement ${d.label} in its editor`, onclick: () => showSpan(d.field, d.span) })
          : null,
      ))),
    );
  }

  // Fixes, each one click away.
  const fixes = $('fixes');
  fixes.replaceChildren();
  if (r.fixes.length) {
    fixes.append(
      el('h3', { text: 'Smallest fixes (each alone makes the request allowed)' }),
      el('ol', { class: 'fix-list' }, ...r.fixes.map((f, i) => el('li', { class: 'fix' },
        el('span', { class: 'fix-message', text: f.message }), ' ',
        el('button', {
          type: 'button',
          class: 'apply-fix',
          'data-fix': String(i),
          text: 'Apply fix',
          'aria-label': `Apply fix ${i + 1}: ${f.message}`,
          disabled: f.fixed_text == null && f.fixed_request == null ? '' : null,
          onclick: () => applyFix(f),
        }),
      ))),
    );
  }

  // The trace.
  const trace = $('trace');
  trace.replaceChildren();
  for (const p of r.trace.policies) {
    const items = p.statements.map((s) => {
      const misses = [];
      if (!s.action.matched) misses.push(s.action.element);
      if (!s.resource.matched) misses.push(s.resource.element);
      if (s.principal && !s.principal.matched) misses.push(s.principal.element);
      for (const c of s.conditions) if (!c.result) misses.push(`Condition ${c.operator} ${c.key}`);
      const label = s.sid ? `'${s.sid}'` : `#${s.index + 1}`;
      const head = el('div', { class: 'stmt-head' },
        el('span', { class: `effect ${s.effect === 'Deny' ? 'deny' : 'allow'}`, text: s.effect }), ' ',
        el('strong', { text: label }), ' — ',
        s.applies ? el('span', { class: 'applies', text: 'APPLIES' }) : el('span', { class: 'nomatch', text: `no match: ${misses.join(', ')}` }),
        ' ',
        p.field && s.span?.start16 != null
          ? el('button', { type: 'button', class: 'link', text: 'show', 'aria-label': `Show statement ${label} of ${sourceName(p.source, p.name)}`, onclick: () => showSpan(p.field, s.span) })
          : null,
      );
      const rows = [
        el('li', {}, yesNo(s.action.matched), ` ${s.action.element}: ${s.action.listed.join(', ')}`),
        el('li', {}, yesNo(s.resource.matched), ` ${s.resource.element}: ${s.resource.listed.join(', ')}`),
      ];
      if (s.principal) {
        rows.push(el('li', {}, yesNo(s.principal.matched), ` ${s.principal.element}: ${s.principal.listed.join(', ')}${s.principal.matched && s.principal_how !== 'direct' ? ` (via ${s.principal_how})` : ''}`));
      }
      for (const c of s.conditions) {
        rows.push(el('li', {}, yesNo(c.result), ` ${c.operator} ${c.key}: request ${c.request ? list(c.request) : 'missing'}; policy ${list(c.values)}`,
          c.note ? el('span', { class: 'cond-note', text: ` (${c.note})` }) : null));
      }
      return el('li', { class: `stmt ${s.applies ? 'stmt-applies' : ''}` }, head, el('ul', { class: 'stmt-rows' }, ...rows));
    });
    trace.append(el('details', { class: 'policy-trace', open: '' },
      el('summary', { text: `${sourceName(p.source, p.name)} (${p.statements.length} statement${p.statements.length === 1 ? '' : 's'})` }),
      el('ul', { class: 'stmt-list' }, ...items)));
  }
  if (r.trace.grants.length) {
    trace.append(el('details', { class: 'policy-trace', open: '' },
      el('summary', { text: `grants (${r.trace.grants.length})` }),
      el('ul', { class: 'stmt-list' }, ...r.trace.grants.map((g) => el('li', { class: `stmt ${g.applies ? 'stmt-applies' : ''}` },
        el('div', { class: 'stmt-head' }, el('strong', { text: g.label }), ' — ',
          g.applies ? el('span', { class: 'applies', text: 'APPLIES' }) : el('span', { class: 'nomatch', text: 'no match' })),
        el('ul', { class: 'stmt-rows' },
          el('li', {}, yesNo(g.grantee_matched), ' grantee principal'),
          el('li', {}, yesNo(g.operation_matched), ' operation'),
          g.constraint ? el('li', {}, yesNo(g.constraint[1]), ` constraint ${g.constraint[0]}`) : null,
        ))))));
  }
  if (!r.trace.policies.length && !r.trace.grants.length) trace.append(el('p', { class: 'note', text: 'No policies were given.' }));

  trace.append(el('details', { class: 'context' },
    el('summary', { text: `Request context as evaluated (${r.request.context.entries.length} keys)` }),
    el('table', {},
      el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: 'key' }), el('th', { scope: 'col', text: 'value' }))),
      el('tbody', {}, ...r.request.context.entries.map((e) => el('tr', {}, el('td', {}, el('code', { text: e.key })), el('td', { text: Array.isArray(e.value) ? e.value.join(', ') : e.value })))))));
  if (r.text) {
    trace.append(el('details', { class: 'text-out' }, el('summary', { text: 'As keyward explain prints it' }), el('pre', { text: r.text })));
  }
}
