// keyward playground, the page's entry point: policy editors with live lint, the request form,
// the decision with its trace and one-click fixes, the example gallery, share links, and the
// KMS tab. All decisions come from keyward's WASM build (engine.js); nothing is sent anywhere.
import './style.css';
import { loadEngine, lint, explain, benchDecide, version, newKmsSession } from './engine.js';
import { createEditor } from './editor.js';
import { examples, exampleFile, exampleFileNames } from './examples.js';
import { encodeState, decodeState } from './share.js';
import { renderResult, renderError } from './results.js';
import { setupTabs } from './tabs.js';
import { setupKms } from './kms.js';
import { setupAccess } from './access.js';
import { setupService } from './service.js';
import { checkRequest } from './validate.js';

const $ = (id) => document.getElementById(id);

// Metrics the browser tests read (time from navigation start, in ms).
const metrics = { engineReadyMs: null, firstDecisionMs: null, decisions: 0 };
window.__keyward = { metrics };

const KINDS = {
  key: { label: 'Key policy', lint: 'key', multi: false },
  identity: { label: 'Identity', lint: 'identity', multi: true },
  grant: { label: 'Grants', lint: 'grant', multi: false },
  scp: { label: 'SCP', lint: 'scp', multi: true },
  boundary: { label: 'Boundary', lint: 'boundary', multi: false },
  session: { label: 'Session policy', lint: 'session', multi: false },
};
const KIND_ORDER = ['key', 'identity', 'grant', 'scp', 'boundary', 'session'];

const KMS_ACTIONS = [
  'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext',
  'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:DescribeKey', 'kms:CreateGrant', 'kms:ListGrants',
  'kms:RevokeGrant', 'kms:RetireGrant', 'kms:PutKeyPolicy', 'kms:GetKeyPolicy',
  'kms:ScheduleKeyDeletion', 'kms:CancelKeyDeletion', 'kms:DisableKey', 'kms:EnableKey',
  'kms:CreateAlias', 'kms:TagResource', 'kms:Sign', 'kms:Verify', 'kms:GenerateMac',
];

let docs = []; // {id, kind, name, editor, tab, panel, findingsEl, findings}
let selectedDocId = null;
let nextDocId = 1;
let extraRequest = {}; // request fields the form does not show (region, alias, tags, resource)
let lastFieldMap = {}; // bundle field -> doc id, for the last explain
let lastBundle = null;
let explainTimer = null;
let knownActions = KMS_ACTIONS; // widened with the KMS operations the WASM module serves

// Form field of the request -> its input id (the error element is `${id}-error`).
const FIELD_INPUTS = { principal: 'req-principal', action: 'req-action', key_arn: 'req-key', source_ip: 'req-ip', time: 'req-time' };

// ---------------------------------------------------------------------------------------------
// Documents

function docLabel(d) {
  const k = KINDS[d.kind];
  if (!k.multi) return k.label;
  return `${k.label}: ${d.name || 'unnamed'}`;
}

function updateTabLabel(d) {
  const errors = (d.findings || []).filter((f) => f.severity === 'ERROR').length;
  const empty = d.editor.getText().trim() === '';
  d.tabText.textContent = docLabel(d);
  d.badge.textContent = empty ? 'empty' : errors ? `${errors} error${errors > 1 ? 's' : ''}` : '';
  d.badge.className = 'badge' + (errors ? ' bad' : empty ? ' muted' : '');
}

function renderFindings(d) {
  const el = d.findingsEl;
  el.replaceChildren();
  const findings = d.findings || [];
  if (d.editor.getText().trim() === '') {
    el.append(note('Empty: this document is left out of the request.'));
    return;
  }
  if (!findings.length) {
    el.append(note('No findings.'));
    return;
  }
  const ul = document.createElement('ul');
  ul.className = 'findings-list';
  for (const f of findings) {
    const li = document.createElement('li');
    li.className = `finding sev-${f.severity.toLowerCase()}`;
    li.dataset.line = String(f.line);
    li.dataset.code = f.code;
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'link';
    b.textContent = `line ${f.line}:${f.column}`;
    b.setAttribute('aria-label', `Go to line ${f.line}, column ${f.column}`);
    b.addEventListener('click', () => {
      d.editor.view.dispatch({ selection: { anchor: Math.min(f.start16, d.editor.view.state.doc.length) }, scrollIntoView: true });
      d.editor.view.focus();
    });
    const sev = document.createElement('span');
    sev.className = 'sev';
    sev.textContent = f.severity.replace('_', ' ').toLowerCase();
    const code = document.createElement('code');
    code.textContent = f.code;
    li.append(b, ' ', sev, ' ', code, ' ', f.message + (f.fix ? ` Fix: ${f.fix}` : ''));
    ul.append(li);
  }
  el.append(ul);
}

function note(text) {
  const p = document.createElement('p');
  p.className = 'note';
  p.textContent = text;
  return p;
}

function addDoc({ kind, name = '', text = '' }) {
  const id = `doc-${nextDocId++}`;
  const d = { id, kind, name: name || defaultName(kind), findings: [] };

  const tab = document.createElement('button');
  tab.setAttribute('role', 'tab');
  tab.id = `tab-${id}`;
  tab.setAttribute('aria-controls', `panel-${id}`);
  tab.setAttribute('aria-selected', 'false');
  tab.tabIndex = -1;
  tab.dataset.docId = id;
  tab.dataset.kind = kind;
  const tabText = document.createElement('span');
  const badge = document.createElement('span');
  tab.append(tabText, ' ', badge);

  const panel = document.createElement('div');
  panel.setAttribute('role', 'tabpanel');
  panel.id = `panel-${id}`;
  panel.setAttribute('aria-labelledby', tab.id);
  panel.dataset.docId = id;
  panel.hidden = true;

  const bar = document.createElement('div');
  bar.className = 'doc-bar';
  if (KINDS[kind].multi) {
    const nameLabel = document.createElement('label');
    nameLabel.htmlFor = `name-${id}`;
    nameLabel.textContent = 'Name';
    const nameInput = document.createElement('input');
    nameInput.id = `name-${id}`;
    nameInput.value = d.name;
    nameInput.spellcheck = false;
    nameInput.addEventListener('input', () => {
      d.name = nameInput.value;
      updateTabLabel(d);
      scheduleExplain();
    });
    bar.append(nameLabel, nameInput);
  }
  const fileLabel = document.createElement('label');
  fileLabel.htmlFor = `file-${id}`;
  fileLabel.textContent = 'Replace with example file';
  const fileSelect = document.createElement('select');
  fileSelect.id = `file-${id}`;
  fileSelect.append(new Option('choose…', ''));
  for (const f of exampleFileNames) fileSelect.append(new Option(f, f));
  fileSelect.addEventListener('change', () => {
    if (!fileSelect.value) return;
    d.editor.setText(exampleFile(fileSelect.value));
    if (KINDS[kind].multi) {
      d.name = fileSelect.value;
      const input = panel.querySelector(`#name-${id}`);
      if (input) input.value = d.name;
      updateTabLabel(d);
    }
    fileSelect.value = '';
  });
  bar.append(fileLabel, fileSelect);
  if (KINDS[kind].multi) {
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.textContent = 'Remove';
    remove.setAttribute('aria-label', `Remove ${docLabel(d)}`);
    remove.addEventListener('click', () => removeDoc(d));
    bar.append(remove);
  }

  const host = document.createElement('div');
  host.className = 'editor-host';
  const findingsEl = document.createElement('div');
  findingsEl.className = 'findings';
  findingsEl.setAttribute('aria-live', 'polite');
  findingsEl.setAttribute('aria-label', 'Lint findings');
  panel.append(bar, host, findingsEl);

  Object.assign(d, { tab, tabText, badge, panel, findingsEl });
  d.editor = createEditor({
    parent: host,
    text,
    label: `${docLabel(d)} (JSON)`,
    lintText: (t) => {
      if (t.trim() === '') return [];
      const r = lint(t, KINDS[kind].lint);
      return r.ok ? r.findings : [];
    },
    onFindings: (findings) => {
      d.findings = findings;
      d.lintedText = d.editor?.getText();
      updateTabLabel(d);
      renderFindings(d);
    },
    onChange: () => {
      updateTabLabel(d);
      scheduleExplain();
    },
  });
  tab.addEventListener('click', () => selectDoc(id));
  $('doc-tabs').append(tab);
  $('doc-panels').append(panel);
  docs.push(d);
  updateTabLabel(d);
  renderFindings(d);
  sortTabs();
  return d;
}

function defaultName(kind) {
  const n = docs.filter((x) => x.kind === kind).length + 1;
  return kind === 'identity' ? `identity-policy-${n}` : kind === 'scp' ? `scp-${n}` : kind;
}

function sortTabs() {
  docs.sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind));
  for (const d of docs) $('doc-tabs').append(d.tab);
}

function removeDoc(d) {
  const sameKind = docs.filter((x) => x.kind === d.kind);
  if (sameKind.length <= 1) {
    d.editor.setText('');
    return;
  }
  d.editor.view.destroy();
  d.tab.remove();
  d.panel.remove();
  docs = docs.filter((x) => x !== d);
  if (selectedDocId === d.id) selectDoc(docs[0].id);
  scheduleExplain();
}

function clearDocs() {
  for (const d of docs) {
    d.editor.view.destroy();
    d.tab.remove();
    d.panel.remove();
  }
  docs = [];
  selectedDocId = null;
}

function selectDoc(id, focus = false) {
  selectedDocId = id;
  for (const d of docs) {
    const on = d.id === id;
    d.tab.setAttribute('aria-selected', String(on));
    d.tab.tabIndex = on ? 0 : -1;
    d.panel.hidden = !on;
    if (on) {
      d.editor.view.requestMeasure();
      if (focus) d.tab.focus();
    }
  }
}

function docById(id) {
  return docs.find((d) => d.id === id);
}

// ---------------------------------------------------------------------------------------------
// The request form

function pairRow(container, key = '', value = '', what) {
  const n = container.children.length + 1;
  const row = document.createElement('div');
  row.className = 'pair';
  const kId = `${container.id}-k${n}-${Math.random().toString(36).slice(2, 7)}`;
  const vId = `${kId}-v`;
  const kl = document.createElement('label');
  kl.htmlFor = kId;
  kl.className = 'visually-hidden';
  kl.textContent = `${what} key ${n}`;
  const k = document.createElement('input');
  k.id = kId;
  k.className = 'pair-key';
  k.placeholder = 'key';
  k.value = key;
  k.spellcheck = false;
  const vl = document.createElement('label');
  vl.htmlFor = vId;
  vl.className = 'visually-hidden';
  vl.textContent = `${what} value ${n}`;
  const v = document.createElement('input');
  v.id = vId;
  v.className = 'pair-value';
  v.placeholder = 'value';
  v.value = value;
  v.spellcheck = false;
  const rm = document.createElement('button');
  rm.type = 'button';
  rm.textContent = 'Remove';
  rm.setAttribute('aria-label', `Remove ${what} pair ${n}`);
  rm.addEventListener('click', () => {
    row.remove();
    scheduleExplain();
  });
  row.append(kl, k, '=', vl, v, rm);
  container.append(row);
  return row;
}

function readPairs(container) {
  const out = [];
  for (const row of container.querySelectorAll('.pair')) {
    const k = row.querySelector('.pair-key').value.trim();
    const v = row.querySelector('.pair-value').value;
    if (k) out.push([k, v]);
  }
  return out;
}

function readRequestForm() {
  const req = {
    principal: $('req-principal').value.trim(),
    action: $('req-action').value.trim(),
    key_arn: $('req-key').value.trim(),
    encryption_context: readPairs($('ec-rows')),
    via_service: $('req-via').value.trim(),
    mfa_age_s: $('req-mfa').value.trim(),
    source_ip: $('req-ip').value.trim(),
    time: $('req-time').value.trim(),
    context: readPairs($('ctx-rows')),
  };
  return { ...extraRequest, ...req };
}

function writeRequestForm(req) {
  const { principal, action, key_arn, encryption_context, via_service, mfa_age_s, source_ip, time, context, ...rest } = req;
  extraRequest = rest;
  $('req-principal').value = principal || '';
  $('req-action').value = action || '';
  $('req-key').value = key_arn || '';
  $('req-via').value = via_service || '';
  $('req-mfa').value = mfa_age_s === undefined || mfa_age_s === null ? '' : String(mfa_age_s);
  $('req-ip').value = source_ip || '';
  $('req-time').value = time || '';
  $('ec-rows').replaceChildren();
  for (const [k, v] of toPairs(encryption_context)) pairRow($('ec-rows'), k, v, 'Encryption context');
  $('ctx-rows').replaceChildren();
  for (const [k, v] of toPairs(context)) {
    pairRow($('ctx-rows'), k, Array.isArray(v) ? JSON.stringify(v) : v, 'Context');
  }
}

function toPairs(x) {
  if (!x) return [];
  if (Array.isArray(x)) return x;
  return Object.entries(x);
}

// The form's request as the bundle's BundleRequest (empty fields left out).
function bundleRequest(form) {
  const r = {};
  for (const [k, v] of Object.entries(extraRequest)) r[k] = v;
  r.principal = form.principal;
  r.action = form.action;
  if (form.key_arn) r.key_arn = form.key_arn;
  if (form.encryption_context.length) r.encryption_context = Object.fromEntries(form.encryption_context);
  if (form.via_service) r.via_service = form.via_service;
  if (form.mfa_age_s !== '') r.mfa_age_s = Number(form.mfa_age_s);
  if (form.source_ip) r.source_ip = form.source_ip;
  if (form.time) r.time = form.time;
  if (form.context.length) {
    r.context = Object.fromEntries(
      form.context.map(([k, v]) => {
        if (v.trim().startsWith('[')) {
          try {
            return [k, JSON.parse(v)];
          } catch {
            /* a plain string that starts with [ */
          }
        }
        return [k, v];
      }),
    );
  }
  return r;
}

// ---------------------------------------------------------------------------------------------
// Deciding

function buildBundle() {
  const bundle = {};
  const fieldMap = {};
  const nonEmpty = (kind) => docs.filter((d) => d.kind === kind && d.editor.getText().trim() !== '');
  const key = nonEmpty('key')[0];
  if (key) {
    bundle.key_policy = key.editor.getText();
    fieldMap.key_policy = key.id;
  }
  const ids = nonEmpty('identity');
  if (ids.length) {
    bundle.identity_policies = ids.map((d, i) => {
      fieldMap[`identity_policies[${i}]`] = d.id;
      return { name: d.name || `identity-policy-${i + 1}`, text: d.editor.getText() };
    });
  }
  const grants = nonEmpty('grant')[0];
  if (grants) {
    bundle.grants = grants.editor.getText();
    fieldMap.grants = grants.id;
  }
  const scps = nonEmpty('scp');
  if (scps.length) {
    bundle.scps = [scps.map((d, i) => {
      fieldMap[`scps[0][${i}]`] = d.id;
      return { name: d.name || `scp-${i + 1}`, text: d.editor.getText() };
    })];
  }
  const boundary = nonEmpty('boundary')[0];
  if (boundary) {
    bundle.boundary = boundary.editor.getText();
    fieldMap.boundary = boundary.id;
  }
  const session = nonEmpty('session')[0];
  if (session) {
    bundle.session_policy = session.editor.getText();
    fieldMap.session_policy = session.id;
  }
  bundle.request = bundleRequest(readRequestForm());
  return { bundle, fieldMap };
}

function scheduleExplain() {
  if (!$('auto-decide').checked) return;
  clearTimeout(explainTimer);
  explainTimer = setTimeout(runExplain, 250);
}

function runExplain() {
  clearTimeout(explainTimer);
  const { bundle, fieldMap } = buildBundle();
  lastFieldMap = fieldMap;
  lastBundle = bundle;
  for (const d of docs) d.editor.highlight([]);
  const fieldErrors = checkRequest(readRequestForm(), knownActions);
  showFieldErrors(fieldErrors);
  if (fieldErrors.length) {
    const names = fieldErrors.map((e) => $(FIELD_INPUTS[e.field]).labels[0].textContent);
    renderError({ message: `A request AWS could not receive: fix ${names.join(', ')} (see the error beside ${fieldErrors.length > 1 ? 'each field' : 'the field'}).` }, resultsHandlers());
    return;
  }
  const result = explain(bundle);
  if (!result.ok) {
    renderError(result.error, resultsHandlers());
    const d = docById(fieldMap[fieldOf(result.error.field)]);
    if (d && result.error.start16 != null) {
      d.editor.highlight([{ from: result.error.start16, to: Math.max(result.error.end16, result.error.start16 + 1), cls: 'cm-kw-error' }]);
    }
    return;
  }
  metrics.decisions++;
  renderResult(result, resultsHandlers());
  highlightResult(result);
  if (metrics.firstDecisionMs === null) {
    metrics.firstDecisionMs = performance.now();
    document.body.dataset.firstDecision = 'yes';
  }
}

// Shows each field's error beside it (and clears the others).
function showFieldErrors(errors) {
  for (const [field, id] of Object.entries(FIELD_INPUTS)) {
    const err = errors.find((e) => e.field === field);
    const out = $(`${id}-error`);
    out.textContent = err ? err.message : '';
    out.hidden = !err;
    if (err) $(id).setAttribute('aria-invalid', 'true');
    else $(id).removeAttribute('aria-invalid');
  }
}

// "identity_policies[1].text" -> "identity_policies[1]"
function fieldOf(field) {
  return (field || '').replace(/\.text$/, '');
}

function highlightResult(result) {
  const byDoc = new Map();
  const push = (docId, range) => {
    if (!docId) return;
    if (!byDoc.has(docId)) byDoc.set(docId, []);
    byDoc.get(docId).push(range);
  };
  for (const p of result.trace?.policies || []) {
    const docId = lastFieldMap[p.field];
    for (const s of p.statements) {
      const nearMiss = !s.applies && s.action?.matched && s.resource?.matched && (!s.principal || s.principal.matched);
      if (!nearMiss) continue;
      for (const c of s.conditions || []) {
        if (!c.result && c.span?.start16 != null) push(docId, { from: c.span.start16, to: c.span.end16, cls: 'cm-kw-cond-fail' });
      }
    }
  }
  for (const dec of result.deciders || []) {
    if (!dec.span || dec.span.start16 == null) continue;
    push(lastFieldMap[dec.field], {
      from: dec.span.start16,
      to: dec.span.end16,
      cls: dec.effect === 'Deny' ? 'cm-kw-decider cm-kw-deny' : 'cm-kw-decider cm-kw-allow',
    });
  }
  for (const d of docs) {
    const ranges = byDoc.get(d.id) || [];
    d.editor.highlight(ranges);
  }
}

function showSpan(field, span) {
  const d = docById(lastFieldMap[fieldOf(field)]);
  if (!d) return;
  selectDoc(d.id);
  if (span?.start16 != null) {
    d.editor.view.dispatch({
      selection: { anchor: span.start16, head: span.end16 ?? span.start16 },
      scrollIntoView: true,
    });
    d.editor.view.focus();
  }
}

// Context keys the form has a field of its own for: context key (lower case) -> form field.
const FORM_KEYS = { 'kms:viaservice': 'via_service', 'aws:sourceip': 'source_ip', 'aws:currenttime': 'time', 'aws:multifactorauthage': 'mfa_age_s' };

// A fixed request with the keys the form shows in their own fields moved there from `context`
// (Via service, Source IP, Time, MFA age), or null when nothing moves.
function formShaped(req) {
  const context = { ...(req.context || {}) };
  const out = { ...req };
  let moved = false;
  for (const [k, v] of Object.entries(req.context || {})) {
    const field = FORM_KEYS[k.toLowerCase()];
    if (!field || typeof v !== 'string') continue;
    if (field === 'mfa_age_s' && !/^\d+$/.test(v)) continue;
    out[field] = field === 'mfa_age_s' ? Number(v) : v;
    delete context[k];
    moved = true;
  }
  if (!moved) return null;
  out.context = context;
  return out;
}

function applyFix(fix) {
  if (fix.field === 'request' && fix.fixed_request) {
    // The fix in the form's own fields, when that decides as the fix does (Allow).
    const shaped = formShaped(fix.fixed_request);
    writeRequestForm(shaped || fix.fixed_request);
    if (shaped) {
      const r = explain(buildBundle().bundle);
      if (!(r.ok && r.decision === 'Allow')) writeRequestForm(fix.fixed_request);
    }
  } else if (fix.field && fix.fixed_text != null) {
    const field = fieldOf(fix.field);
    let d = docById(lastFieldMap[field]);
    if (!d) {
      const m = /^identity_policies\[(\d+)\]$/.exec(field);
      if (m) d = addDoc({ kind: 'identity', name: fix.new_policy_name || 'fix', text: '' });
      else {
        const kind = { key_policy: 'key', boundary: 'boundary', session_policy: 'session', grants: 'grant' }[field];
        d = kind && (docs.find((x) => x.kind === kind) || addDoc({ kind }));
      }
    }
    if (!d) return;
    d.editor.setText(fix.fixed_text);
    selectDoc(d.id);
  } else {
    return;
  }
  runExplain();
  // The fix's button is gone with the old results: keep the keyboard on the new decision.
  $('decision').focus();
}

function resultsHandlers() {
  return { showSpan, applyFix };
}

// ---------------------------------------------------------------------------------------------
// State: examples and share links

function getState() {
  const sel = docs.findIndex((d) => d.id === selectedDocId);
  return {
    v: 1,
    docs: docs
      .filter((d) => d.editor.getText().trim() !== '')
      .map((d) => ({ kind: d.kind, name: d.name, text: d.editor.getText() })),
    selected: sel >= 0 ? docs[sel].kind : 'key',
    request: readRequestForm(),
  };
}

function loadState(state) {
  clearDocs();
  const list = (state.docs || []).filter((d) => KINDS[d.kind]);
  for (const d of list) addDoc(d);
  for (const kind of KIND_ORDER) {
    if (!docs.some((d) => d.kind === kind)) addDoc({ kind });
  }
  writeRequestForm(state.request || {});
  const first = docs.find((d) => d.kind === (state.selected || 'key')) || docs[0];
  selectDoc(first.id);
  runExplain();
}

function renderGallery() {
  const ul = $('gallery');
  for (const ex of examples) {
    const li = document.createElement('li');
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'example';
    b.dataset.example = ex.id;
    b.textContent = ex.title;
    b.title = ex.blurb;
    b.setAttribute('aria-pressed', 'false');
    b.addEventListener('click', () => {
      loadState(structuredClone(ex.state));
      history.replaceState(null, '', location.pathname + location.search);
      $('share-url').value = '';
      markExample(ex.id);
    });
    li.append(b);
    ul.append(li);
  }
}

function markExample(id) {
  const ex = examples.find((e) => e.id === id);
  for (const b of document.querySelectorAll('#gallery .example')) b.setAttribute('aria-pressed', String(b.dataset.example === id));
  $('example-blurb').textContent = ex ? ex.blurb : '';
}

function showPageMessage(text) {
  const m = $('page-message');
  m.textContent = text;
  m.hidden = false;
}

async function share() {
  const hash = await encodeState(getState());
  const url = `${location.origin}${location.pathname}${location.search}#${hash}`;
  history.replaceState(null, '', `#${hash}`);
  $('share-url').value = url;
  try {
    await navigator.clipboard.writeText(url);
    $('share-status').textContent = 'Link copied.';
  } catch {
    $('share-status').textContent = 'Link ready: copy it from the box.';
  }
  $('share-url').select();
}

// ---------------------------------------------------------------------------------------------
// Start

async function start() {
  for (const a of KMS_ACTIONS) $('kms-actions').append(new Option(a));
  setupTabs($('view-tabs'));
  setupTabs($('doc-tabs'), (tab) => selectDoc(tab.dataset.docId));
  renderGallery();
  $('ec-add').addEventListener('click', () => pairRow($('ec-rows'), '', '', 'Encryption context').querySelector('input').focus());
  $('ctx-add').addEventListener('click', () => pairRow($('ctx-rows'), '', '', 'Context').querySelector('input').focus());
  $('request-form').addEventListener('input', scheduleExplain);
  $('request-form').addEventListener('submit', (e) => {
    e.preventDefault();
    runExplain();
  });
  $('add-identity').addEventListener('click', () => selectDoc(addDoc({ kind: 'identity' }).id, true));
  $('add-scp').addEventListener('click', () => selectDoc(addDoc({ kind: 'scp' }).id, true));
  $('share-button').addEventListener('click', share);

  try {
    await loadEngine();
  } catch (e) {
    $('decision').textContent = `keyward could not start: ${e.message}`;
    $('decision').className = 'decision error';
    throw e;
  }
  metrics.engineReadyMs = performance.now();
  document.body.dataset.engine = version();

  const ops = newKmsSession().operations();
  if (Array.isArray(ops)) knownActions = [...new Set([...KMS_ACTIONS, ...ops.map((o) => `kms:${o}`)])];
  let shared = null;
  try {
    shared = location.hash ? await decodeState(location.hash) : null;
  } catch (e) {
    showPageMessage(`This share link could not be read (${e.message}), so the page shows the first example instead.`);
  }
  loadState(shared || structuredClone(examples[0].state));
  if (!shared) markExample(examples[0].id);

  const simulator = () => ({ docs: docs.map((d) => ({ kind: d.kind, name: d.name, text: d.editor.getText() })), request: readRequestForm() });
  setupKms({ simulator });
  setupAccess({ simulator });
  setupService({ bundle: () => buildBundle().bundle, simulator });

  window.__keyward.benchDecide = (n) => benchDecide(n);
  window.__keyward.getState = getState;
  // True once every editor's findings are those of its current text (tests wait on it).
  window.__keyward.linted = () => docs.every((d) => d.lintedText === d.editor.getText());
  window.__keyward.lastBundle = () => lastBundle;
  document.body.dataset.ready = 'yes';
}

start();
