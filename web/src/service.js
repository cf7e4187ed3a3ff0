// The "Through a service" tab: a call an AWS service makes to KMS on the caller's behalf (S3
// writing an SSE-KMS object, Lambda reading its environment, ...). Pick the service operation
// from keyward's catalogue, give the resource, the key and the caller; the WASM module's
// explain_service_call decides the service's own action and each KMS request with the
// Simulator's policies, and explains the first one denied (why and fixes, lint-checked).
import { serviceCatalogue, explainServiceCall } from './engine.js';
import { DECISION_TEXT, el } from './results.js';

const $ = (id) => document.getElementById(id);

// A resource of each service, for the placeholder and the first value.
const RESOURCE = {
  s3: 'arn:aws:s3:::amzn-s3-demo-bucket/reports/q1.csv',
  lambda: 'arn:aws:lambda:us-east-1:111122223333:function:my-function',
  ec2: 'arn:aws:ec2:us-east-1:111122223333:volume/vol-0123456789abcdef0',
  rds: 'arn:aws:rds:us-east-1:111122223333:db:my-database',
  secretsmanager: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-AbCdEf',
  ssm: 'arn:aws:ssm:us-east-1:111122223333:parameter/prod/db-password',
  dynamodb: 'arn:aws:dynamodb:us-east-1:111122223333:table/Orders',
  cloudtrail: 'arn:aws:cloudtrail:us-east-1:111122223333:trail/management-events',
  logs: 'arn:aws:logs:us-east-1:111122223333:log-group:app-logs',
  sqs: 'arn:aws:sqs:us-east-1:111122223333:orders',
  sns: 'arn:aws:sns:us-east-1:111122223333:alerts',
};

function render(out, r) {
  if (!r.ok) {
    const field = r.error.field ? `${r.error.field}: ` : '';
    out.replaceChildren(el('p', { id: 'svc-decision', class: 'decision error', 'data-decision': 'error', role: 'alert', text: `Cannot decide: ${field}${r.error.message}` }));
    return;
  }
  const word = DECISION_TEXT[r.decision] || r.decision;
  const ex = r.explanation;
  const fixes = ex?.fixes ?? [];
  out.replaceChildren(
    el('p', { id: 'svc-decision', class: `decision ${r.decision === 'Allow' ? 'allow' : 'implicit-deny'}`, 'data-decision': r.decision, tabindex: '-1', text: word }),
    el('p', { class: 'svc-kms', text: `KMS requests the service makes: ${r.kms_actions.join(', ') || 'none'}` }),
    el('ol', { id: 'svc-steps', class: 'svc-steps' }, ...r.steps.map((s) => el('li', { 'data-decision': s.decision, text: `${s.request}: ${s.decision} (${s.rule})` }))),
    r.error ? el('p', { id: 'svc-error', class: 'summary', text: `${r.error.code}: ${r.error.why}` }) : null,
    ex && r.decision !== 'Allow' ? el('p', { id: 'svc-why', class: 'summary' }, el('span', { class: 'why', text: 'Why: ' }), ex.summary) : null,
    fixes.length && r.decision !== 'Allow'
      ? el('div', { id: 'svc-fixes' }, el('h3', { text: 'Fixes (each verified to allow this request)' }),
        el('ol', { class: 'fix-list' }, ...fixes.map((f) => el('li', { class: 'fix', 'data-kind': f.edit?.kind ?? '' }, f.message,
          (f.lint ?? []).length ? el('span', { class: 'badge', text: ` lint: ${f.lint.map((l) => l.code).join(', ')}` }) : null))))
      : null,
  );
}

/** `bundle()` returns the Simulator's explain bundle (its documents are used as they are). */
export function setupService({ bundle, simulator }) {
  const catalogue = serviceCatalogue();
  const select = $('svc-op');
  const rows = Array.isArray(catalogue) ? catalogue : [];
  for (const [i, o] of rows.entries()) {
    const kms = o.kms.length ? ` → ${o.kms.join(', ')}` : '';
    select.append(el('option', { value: String(i), text: `${o.service} ${o.operation} (${o.action || 'no caller action'}${kms})` }));
  }
  const chosen = () => rows[Number(select.value)];
  const fillResource = () => {
    const o = chosen();
    if (!o) return;
    const example = RESOURCE[o.service] ?? '';
    $('svc-resource').placeholder = example;
    $('svc-resource').value = example;
    $('svc-source').href = o.source;
    $('svc-source').textContent = `How ${o.service} uses AWS KMS (AWS documentation)`;
  };
  select.addEventListener('change', fillResource);
  fillResource();
  const req = simulator().request ?? {};
  $('svc-caller').value = req.principal ?? '';
  $('svc-key').value = req.key_arn ?? '';
  $('svc-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const o = chosen();
    if (!o) return;
    const b = bundle();
    const service_call = { service: o.service, operation: o.operation, resource: $('svc-resource').value.trim() };
    const key = $('svc-key').value.trim();
    if (key) service_call.key = key;
    b.request = { principal: $('svc-caller').value.trim(), service_call };
    render($('svc-out'), explainServiceCall(b));
    $('svc-decision')?.focus();
  });
}
