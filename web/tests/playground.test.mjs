// End-to-end tests of the keyward playground in a real browser: playwright-core drives Debian's
// Chromium against web/dist served on 127.0.0.1. Screenshots go to web/test-artifacts/.
// Run through web/test.sh (which builds the site first), or `node --test tests/` in web/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile, copyFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from './serve.mjs';

const web = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(web, 'dist');
const artifacts = join(web, 'test-artifacts');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const T = { timeout: 90_000 };

let server;
let context;
let profile;

before(async () => {
  assert.ok(existsSync(join(dist, 'index.html')), 'web/dist is missing: run web/build.sh');
  await mkdir(artifacts, { recursive: true });
  server = await serve(dist);
  profile = await mkdtemp(join(tmpdir(), 'keyward-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    timeout: 60_000,
    viewport: { width: 1440, height: 1000 },
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
    ],
  });
  context.setDefaultTimeout(20_000);
});

after(async () => {
  await context?.close();
  await server?.close();
  if (profile) await rm(profile, { recursive: true, force: true });
});

/** A new page on the playground (optionally a hash), ready; records foreign requests and errors. */
async function open(hash = '') {
  const page = await context.newPage();
  const foreign = [];
  const errors = [];
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(server.url) && !u.startsWith('data:') && !u.startsWith('blob:')) foreign.push(u);
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(server.url + hash);
  await page.waitForSelector('body[data-ready="yes"]');
  return { page, foreign, errors };
}

const shot = (page, name) => page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
const decisionIs = (page, d) => page.waitForSelector(`#decision[data-decision="${d}"]`);

async function loadExample(page, id) {
  await page.click(`button.example[data-example="${id}"]`);
}

// The text of each line of the visible editor, as CodeMirror renders it.
async function editorLines(page) {
  return page.locator('#doc-panels [role="tabpanel"]:not([hidden]) .cm-line').allTextContents();
}

test('an example from the gallery loads and is decided, offline, with no request leaving the page', T, async () => {
  const { page, foreign, errors } = await open();
  await loadExample(page, 'cross-account');
  await decisionIs(page, 'ImplicitDeny');
  const summary = await page.textContent('#summary');
  assert.match(summary, /cross-account/);
  assert.match(await page.textContent('#trace'), /Allow cross-account access/);
  const keyTab = page.locator('#doc-tabs [role="tab"][data-kind="key"]');
  assert.equal(await keyTab.getAttribute('aria-selected'), 'true');
  assert.match((await editorLines(page)).join('\n'), /"Sid": "Allow cross-account access"/);
  await shot(page, '01-example-cross-account');
  // Once loaded, the page needs no network: offline, another example still decides.
  await context.setOffline(true);
  try {
    await loadExample(page, 'scp-deletion');
    await decisionIs(page, 'ExplicitDeny');
  } finally {
    await context.setOffline(false);
  }
  assert.deepEqual(foreign, [], `requests outside the page's origin: ${foreign.join(', ')}`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('broken JSON gets a lint marker on the right line', T, async () => {
  const { page } = await open();
  await loadExample(page, 'wrong-context');
  await decisionIs(page, 'ImplicitDeny');
  const lines = await editorLines(page);
  const target = lines.findIndex((l) => l.includes('"Effect"')); // 0-based
  assert.ok(target > 0);
  const lineNo = target + 1;
  const line = page.locator('#doc-panels [role="tabpanel"]:not([hidden]) .cm-line').nth(target);
  await line.click();
  await page.keyboard.press('End');
  await page.keyboard.type(' oops');
  // The findings list names the line, the gutter marker sits on it, and deciding stops.
  const item = page.locator(`#doc-panels [role="tabpanel"]:not([hidden]) .finding[data-line="${lineNo}"]`);
  await item.first().waitFor();
  assert.match(await item.first().getAttribute('data-code'), /^json-/);
  const marker = page.locator('#doc-panels [role="tabpanel"]:not([hidden]) .cm-lint-marker-error');
  await marker.first().waitFor();
  const mbox = await marker.first().boundingBox();
  const lbox = await line.boundingBox();
  const mid = mbox.y + mbox.height / 2;
  assert.ok(mid >= lbox.y && mid <= lbox.y + lbox.height, `marker at y=${mid}, line ${lineNo} spans ${lbox.y}..${lbox.y + lbox.height}`);
  assert.ok(await page.locator('.cm-lintRange-error').count() >= 1);
  assert.match(await page.textContent('#doc-tabs [data-kind="key"]'), /1 error/);
  await decisionIs(page, 'error');
  await shot(page, '02-lint-marker');
  // Undo brings the policy back and the decision with it.
  await page.keyboard.press('Control+z');
  await decisionIs(page, 'ImplicitDeny');
  await page.close();
});

test('a simulation shows the decision, the trace and the deciding statement', T, async () => {
  const { page } = await open();
  await loadExample(page, 'wrong-context');
  await decisionIs(page, 'ImplicitDeny');
  const trace = await page.textContent('#trace');
  assert.match(trace, /Restrict to specific encryption context/);
  assert.match(trace, /kms:EncryptionContext:Project: request "Marketing"; policy "DataAnalytics"/);
  // The failing condition is marked in the key policy editor.
  assert.ok(await page.locator('.cm-kw-cond-fail').count() >= 1);
  // Change the context value in the form and decide again.
  const values = page.locator('#ec-rows .pair-value');
  await values.nth(1).fill('DataAnalytics');
  await page.click('#decide');
  await decisionIs(page, 'Allow');
  assert.match(await page.textContent('#deciders'), /Restrict to specific encryption context/);
  // The deciding statement is highlighted in its editor.
  const hl = page.locator('#doc-panels .cm-kw-decider');
  await hl.first().waitFor({ state: 'attached' });
  assert.match((await hl.allTextContents()).join(''), /Restrict to specific encryption context/);
  await shot(page, '03-simulation-allow');
  // An explicit deny names the SCP statement.
  await loadExample(page, 'scp-deletion');
  await decisionIs(page, 'ExplicitDeny');
  assert.match(await page.textContent('#deciders'), /SCP/);
  await page.close();
});

for (const id of ['cross-account', 'wrong-context', 'no-delegation', 'grant-constraint', 'mfa-emergency']) {
  test(`applying the first fix of "${id}" gives Allow`, T, async () => {
    const { page } = await open();
    await loadExample(page, id);
    await decisionIs(page, 'ImplicitDeny');
    const fix = page.locator('button.apply-fix:not([disabled])').first();
    await fix.waitFor();
    const message = await page.locator('.fix-message').first().textContent();
    await fix.click();
    await decisionIs(page, 'Allow');
    if (id === 'cross-account') await shot(page, '04-fix-applied');
    assert.ok(message.length > 0);
    await page.close();
  });
}

/** Every string value of a JSON text, counted (an empty map when the text is not JSON). */
function stringCounts(text) {
  const counts = new Map();
  const walk = (v) => {
    if (typeof v === 'string') counts.set(v, (counts.get(v) ?? 0) + 1);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  try { walk(JSON.parse(text)); } catch { /* not JSON: nothing counted */ }
  return counts;
}

const longestLine = (text) => Math.max(0, ...text.split('\n').map((l) => l.length));

/**
 * The lines of the fixed documents longer than the document's own longest line (a new
 * document: the longest line of the documents before the fix) plus the values the fix inserted
 * on that line (strings that occur more often after than before, each with its quotes).
 * Returns `[line, limit, document]` for each.
 */
function overlongLines(before, after) {
  const out = [];
  const base0 = Math.max(0, ...before.map((d) => longestLine(d.text)));
  for (const d of after) {
    const old = before.find((b) => b.kind === d.kind && b.name === d.name);
    if (old && old.text === d.text) continue;
    const was = stringCounts(old?.text ?? '');
    const inserted = [...stringCounts(d.text)].filter(([v, n]) => n > (was.get(v) ?? 0)).map(([v]) => JSON.stringify(v));
    const base = old ? longestLine(old.text) : base0;
    for (const line of d.text.split('\n')) {
      const limit = base + inserted.filter((v) => line.includes(v)).reduce((a, v) => a + v.length, 0);
      if (line.length > limit) out.push([line, limit, `${d.kind} document ${d.name}`]);
    }
  }
  return out;
}

test('the grant example names the missing encryption-context pair and sends it as a fix', T, async () => {
  const { page, errors } = await open();
  await loadExample(page, 'grant-constraint');
  await decisionIs(page, 'ImplicitDeny');
  assert.match(await page.textContent('#summary'), /grant 'batch-processing-finance' would allow this, but its EncryptionContextSubset constraint .* lacks Project=DataAnalytics/);
  const messages = await page.locator('.fix-message').allTextContents();
  const i = messages.findIndex((m) => m.startsWith('send EncryptionContext {"Project": "DataAnalytics"}'));
  assert.ok(i >= 0, messages.join('\n'));
  await page.locator('button.apply-fix').nth(i).click();
  await decisionIs(page, 'Allow');
  // The pair lands in the encryption context rows, beside the one the request had.
  const pairs = await page.locator('#ec-rows .pair-key').evaluateAll((ks) => ks.map((k) => `${k.value}=${k.closest('.pair').querySelector('.pair-value').value}`));
  assert.deepEqual(pairs.sort(), ['Department=Finance', 'Project=DataAnalytics']);
  assert.deepEqual(errors, []);
  await page.close();
});

test('every fix of every example gives Allow; a request fix fills the form field of its own', T, async () => {
  const { page, errors } = await open();
  const ids = await page.locator('button.example').evaluateAll((bs) => bs.map((b) => b.dataset.example));
  let applied = 0;
  for (const id of ids) {
    await loadExample(page, id);
    await page.waitForFunction(() => !document.getElementById('decision').classList.contains('pending'));
    const n = await page.locator('button.apply-fix').count();
    for (let i = 0; i < n; i++) {
      await loadExample(page, id);
      await page.waitForFunction(() => !document.getElementById('decision').classList.contains('pending'));
      const button = page.locator('button.apply-fix').nth(i);
      if (await button.isDisabled()) continue;
      const message = await page.locator('.fix-message').nth(i).textContent();
      const security = () => page.locator('#doc-panels .finding.sev-security_warning').evaluateAll(
        (fs) => fs.map((f) => `${f.closest('[role="tabpanel"]').id} ${f.dataset.code}`));
      const linted = () => page.waitForFunction(() => window.__keyward.linted());
      await linted();
      const before = new Set(await security());
      const docsBefore = await page.evaluate(() => window.__keyward.getState().docs);
      await button.click();
      await decisionIs(page, 'Allow');
      applied++;
      // The fixed document stays readable: no line longer than its own longest line (for a
      // new document, the longest of the example's) plus the values the fix inserted there.
      const docsAfter = await page.evaluate(() => window.__keyward.getState().docs);
      for (const [line, limit, doc] of overlongLines(docsBefore, docsAfter)) {
        assert.fail(`${id}, fix "${message}": ${doc} has a line of ${line.length} > ${limit} characters: ${line}`);
      }
      // The page's own lint finds nothing new to warn about in the fixed documents.
      await linted();
      const added = (await security()).filter((f) => !before.has(f));
      assert.deepEqual(added, [], `${id}, fix "${message}": new security findings`);
      // Keys the form has a field for are never left in "Other context keys".
      const other = await page.locator('#ctx-rows .pair-key').evaluateAll((ks) => ks.map((k) => k.value.toLowerCase()));
      for (const k of ['kms:viaservice', 'aws:sourceip', 'aws:currenttime', 'aws:multifactorauthage']) {
        assert.ok(!other.includes(k), `${id}, fix "${message}": ${k} left in Other context keys`);
      }
    }
  }
  assert.ok(applied >= ids.length - 2, `only ${applied} fixes applied over ${ids.length} examples`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('after "Apply fix" from the keyboard, focus moves to the decision', T, async () => {
  const { page } = await open();
  await loadExample(page, 'wrong-context');
  await decisionIs(page, 'ImplicitDeny');
  await page.locator('button.apply-fix:not([disabled])').first().focus();
  await page.keyboard.press('Enter');
  await decisionIs(page, 'Allow');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'decision');
  await page.close();
});

test('the why keeps its line breaks', T, async () => {
  const { page } = await open();
  assert.equal(await page.$eval('#summary', (e) => getComputedStyle(e).whiteSpace), 'pre-line');
  // An example whose why has several lines shows them as lines (innerText follows the rendering).
  let multi = 0;
  for (const id of await page.locator('button.example').evaluateAll((bs) => bs.map((b) => b.dataset.example))) {
    await loadExample(page, id);
    await page.waitForFunction(() => !document.getElementById('decision').classList.contains('pending'));
    const { text, rendered } = await page.$eval('#summary', (e) => ({ text: e.textContent, rendered: e.innerText }));
    if (text.includes('\n')) {
      multi++;
      assert.ok(rendered.includes('\n'), `the why of ${id} is shown on one line: ${rendered}`);
    }
  }
  assert.ok(multi > 0, 'no example has a why of several lines');
  await page.close();
});

// Each bad request field: its error beside the field, and no decision.
const BAD_FIELDS = [
  { input: '#req-key', value: '1234abcd-12ab-34cd-56ef-1234567890ab', error: /is a key id, not a key ARN/ },
  { input: '#req-key', value: 'arn:aws:s3:::my-bucket', error: /is not a key ARN/ },
  { input: '#req-action', value: 'kms:Decrpyt', error: /is not a KMS action: did you mean kms:Decrypt\?/ },
  { input: '#req-action', value: 'Decrypt', error: /has no service prefix: did you mean kms:Decrypt\?/ },
  { input: '#req-action', value: 's3:GetObject', error: /an action of s3, not of KMS/ },
  { input: '#req-principal', value: 'arn:aws:iam::4444:user/analyst', error: /is not a principal ARN/ },
  { input: '#req-principal', value: 'analyst', error: /is not a principal/ },
  { input: '#req-ip', value: '203.0.113.300', error: /is not an IPv4 or IPv6 address/ },
  { input: '#req-time', value: '2026-02-30T10:00:00Z', error: /is not an RFC 3339 time/ },
  { input: '#req-time', value: 'yesterday', error: /is not an RFC 3339 time/ },
];

test('every bad request field shows its error beside the field, and the page cannot decide', T, async () => {
  const { page, errors } = await open();
  await loadExample(page, 'cross-account');
  await decisionIs(page, 'ImplicitDeny');
  for (const bad of BAD_FIELDS) {
    const good = await page.inputValue(bad.input);
    await page.fill(bad.input, bad.value);
    await page.click('#decide');
    await decisionIs(page, 'error');
    assert.match(await page.textContent('#decision'), /Cannot decide/);
    const err = page.locator(`${bad.input}-error`);
    assert.equal(await err.isVisible(), true, `no error beside ${bad.input} for ${bad.value}`);
    assert.match(await err.textContent(), bad.error);
    assert.equal(await page.getAttribute(bad.input, 'aria-invalid'), 'true');
    // The error sits beside its field: directly below the input.
    const ib = await page.locator(bad.input).boundingBox();
    const eb = await err.boundingBox();
    assert.ok(eb.y >= ib.y + ib.height - 1 && eb.y - (ib.y + ib.height) < 40, `${bad.input} error is not beside its field`);
    // Put the good value back: the error goes and the request is decided again.
    await page.fill(bad.input, good);
    await page.click('#decide');
    await decisionIs(page, 'ImplicitDeny');
    assert.equal(await err.isVisible(), false);
  }
  await page.fill('#req-action', 'kms:Decrpyt');
  await page.click('#decide');
  await decisionIs(page, 'error');
  await shot(page, '07-field-error');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a corrupted share link says so on the page', T, async () => {
  for (const [hash, why] of [['#s=AAAA-not-deflate', /damaged/], [`#j=${Buffer.from('[1,2]').toString('base64url')}`, /no playground state/]]) {
    const { page, errors } = await open(hash);
    const msg = page.locator('#page-message');
    assert.equal(await msg.isVisible(), true);
    assert.match(await msg.textContent(), /link could not be read/);
    assert.match(await msg.textContent(), why);
    await page.waitForSelector('body[data-first-decision="yes"]');
    assert.deepEqual(errors, []);
    await page.close();
  }
  // A good page shows no such message.
  const { page } = await open();
  assert.equal(await page.isVisible('#page-message'), false);
  await page.close();
});

test('at 390 px (a phone) nothing scrolls sideways', T, async () => {
  const { page } = await open();
  await page.setViewportSize({ width: 390, height: 844 });
  const fits = async (where) => {
    const w = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(w <= 390, `${where}: the page is ${w} px wide at 390 px`);
  };
  for (const id of ['cross-account', 'boundary-session', 'scp-deletion']) {
    await loadExample(page, id);
    await page.waitForFunction(() => !document.getElementById('decision').classList.contains('pending'));
    await fits(`example ${id}`);
    // Every document tab is inside the screen, and so is the visible editor.
    for (const box of await page.locator('#doc-tabs [role="tab"]').evaluateAll((ts) => ts.map((t) => t.getBoundingClientRect().right))) {
      assert.ok(box <= 390, `a document tab ends at ${box} px`);
    }
    const editor = await page.locator('#doc-panels [role="tabpanel"]:not([hidden]) .cm-editor').boundingBox();
    assert.ok(editor.x >= 0 && editor.x + editor.width <= 390, `the editor spans ${editor.x}..${editor.x + editor.width}`);
  }
  await shot(page, '08-phone');
  await page.click('#tab-kms');
  await fits('KMS tab');
  await page.click('#tab-access');
  await fits('Who can tab');
  await page.click('#tab-service');
  await fits('Through a service tab');
  await page.close();
});

test('a share link opens the same state in a new page', T, async () => {
  const { page } = await open();
  await loadExample(page, 'grant-constraint');
  await decisionIs(page, 'ImplicitDeny');
  await page.fill('#req-ip', '203.0.113.7');
  await page.click('#doc-tabs [data-kind="grant"]');
  await page.click('#share-button');
  await page.waitForFunction(() => document.getElementById('share-url').value.includes('#s='));
  const url = await page.inputValue('#share-url');
  const before = await page.evaluate(() => window.__keyward.getState());
  const decision = await page.getAttribute('#decision', 'data-decision');

  const other = await context.newPage();
  await other.goto(url);
  await other.waitForSelector('body[data-ready="yes"]');
  await decisionIs(other, decision);
  const afterState = await other.evaluate(() => window.__keyward.getState());
  assert.deepEqual(afterState, before);
  assert.equal(await other.inputValue('#req-ip'), '203.0.113.7');
  assert.equal(await other.getAttribute('#doc-tabs [data-kind="grant"]', 'aria-selected'), 'true');
  await shot(other, '05-share-link-opened');
  await other.close();
  await page.close();
});

test('KMS tab: create key, encrypt, decrypt, and a denied call shows AccessDenied', T, async () => {
  const { page } = await open();
  await page.click('#tab-kms');
  assert.equal(await page.isVisible('#panel-kms'), true);
  await page.click('#kms-create');
  await page.waitForFunction(() => document.getElementById('kms-key').value.length > 0);
  await page.fill('#kms-plaintext', 'Sensitive customer data');
  await page.fill('#kms-context', 'Department=Finance');
  await page.click('#kms-encrypt');
  await page.waitForFunction(() => document.getElementById('kms-ciphertext').value.length > 0);
  await page.click('#kms-decrypt');
  await page.waitForFunction(() => document.getElementById('kms-decrypted').value === 'Sensitive customer data');
  // Wrong context: the ciphertext does not authenticate.
  await page.fill('#kms-context', 'Department=HR');
  await page.click('#kms-decrypt');
  const invalid = page.locator('.kms-entry[data-op="Decrypt"][data-code="InvalidCiphertextException"]');
  await invalid.waitFor();
  // AWS's error stays as AWS gives it; beside it, keyward's hint, marked as keyward's.
  const hint = await invalid.locator('.kms-hint').textContent();
  assert.match(hint, /^keyward's hint \(not AWS's message\): /);
  assert.match(hint, /encrypted here with Department=Finance, and this Decrypt sent Department=HR/);
  // Another account's user is refused, with keyward's reason.
  await page.fill('#kms-context', 'Department=Finance');
  await page.fill('#kms-caller', 'arn:aws:iam::444455556666:user/mallory');
  await page.click('#kms-decrypt');
  const denied = page.locator('.kms-entry[data-code="AccessDeniedException"]').first();
  await denied.waitFor();
  assert.match(await denied.textContent(), /mallory/);
  await shot(page, '06-kms');
  await page.close();
});

test('KMS tab: the Simulator policies gate calls', T, async () => {
  const { page } = await open();
  // The boundary example: the caller's IAM policy, boundary and session allow Decrypt only.
  await loadExample(page, 'boundary-session');
  await page.click('#tab-kms');
  await page.click('#kms-sync');
  await page.waitForSelector('.kms-entry[data-op="put_identity"].ok');
  assert.equal(await page.inputValue('#kms-caller'), 'arn:aws:sts::111122223333:assumed-role/AppRole/s1');
  // The role may not create keys: its boundary allows only crypto calls.
  await page.click('#kms-create');
  await page.waitForSelector('.kms-entry[data-op="CreateKey"][data-code="AccessDeniedException"]');
  await page.close();
});

test('keyboard and labels: arrow keys move between tabs, every control has a name', T, async () => {
  const { page } = await open();
  const first = page.locator('#doc-tabs [role="tab"]').first();
  await first.focus();
  await page.keyboard.press('ArrowRight');
  const second = page.locator('#doc-tabs [role="tab"]').nth(1);
  assert.equal(await second.getAttribute('aria-selected'), 'true');
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('role')), 'tab');
  await page.keyboard.press('Home');
  assert.equal(await first.getAttribute('aria-selected'), 'true');
  await page.focus('#tab-sim');
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.isVisible('#panel-kms'), true);
  await page.keyboard.press('ArrowLeft');
  assert.equal(await page.isVisible('#panel-sim'), true);
  const unnamed = await page.evaluate(() => {
    const out = [];
    for (const e of document.querySelectorAll('input, select, textarea, button, [contenteditable="true"]')) {
      const name = e.getAttribute('aria-label') || e.getAttribute('aria-labelledby') || (e.labels && e.labels.length && e.labels[0].textContent.trim()) || (e.tagName === 'BUTTON' && e.textContent.trim());
      if (!name) out.push(e.outerHTML.slice(0, 120));
    }
    return out;
  });
  assert.deepEqual(unnamed, []);
  await page.close();
});

test('who can / diff: a partner statement adds a class of callers, and the diff says so', T, async () => {
  const { page, foreign, errors } = await open();
  await page.waitForSelector('body[data-first-decision="yes"]');
  await page.click('#tab-access');
  const root = { Sid: 'Root', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'kms:*', Resource: '*' };
  await page.fill('#access-old', JSON.stringify({ Version: '2012-10-17', Statement: [root] }));
  await page.click('#access-load'); // the Simulator's key policy, and a partner statement in the new one
  await page.fill('#access-old', JSON.stringify({ Version: '2012-10-17', Statement: [root] }));
  const newText = await page.inputValue('#access-new');
  assert.match(newText, /444455556666/);
  const withPartner = JSON.parse(newText).Statement.find((s) => s.Sid === 'Partner');
  await page.fill('#access-new', JSON.stringify({ Version: '2012-10-17', Statement: [root, withPartner] }));
  await page.click('#access-diff');
  const summary = await page.waitForSelector('#diff-summary[data-added="true"]');
  assert.match(await summary.textContent(), /1 added/);
  const added = await page.locator('.change.added').first().textContent();
  assert.match(added, /any principal of account 444455556666 \(needs its own IAM allow\)/);
  // who-can on the new policy lists the class beside the others.
  await page.fill('#access-old', JSON.stringify({ Version: '2012-10-17', Statement: [root, withPartner] }));
  await page.click('#access-who');
  const row = page.locator('.access-table tr[data-kind="class"]', { hasText: /any principal of account 444455556666/ });
  assert.equal(await row.getAttribute('data-status'), 'Allow');
  // A broken policy is an error naming the field, not an exception.
  await page.fill('#access-old', '{"Statement": [{"Effect": "Maybe"}]}');
  await page.click('#access-who');
  assert.match(await page.locator('.access-error').textContent(), /^key_policy: key_policy:1:/);
  await shot(page, 'access');
  assert.deepEqual(foreign, []);
  assert.deepEqual(errors, []);
  await page.close();
});

test('measure: page load to first decision, and WASM decisions per second', T, async () => {
  const { page } = await open();
  await page.waitForSelector('body[data-first-decision="yes"]');
  const m = await page.evaluate(() => window.__keyward.metrics);
  // A warm-up, then the best of three runs of bench_decide (as the native twin measures).
  await page.evaluate(() => window.__keyward.benchDecide(20_000));
  let perSecond = 0;
  for (let i = 0; i < 3; i++) {
    perSecond = Math.max(perSecond, await page.evaluate(() => window.__keyward.benchDecide(200_000)));
  }
  const result = {
    chromium: context.browser()?.version() ?? null,
    engine_ready_ms: Math.round(m.engineReadyMs),
    first_decision_ms: Math.round(m.firstDecisionMs),
    wasm_decisions_per_second: Math.round(perSecond),
    wasm_us_per_decision: +(1e6 / perSecond).toFixed(3),
  };
  console.log(`playground metrics: ${JSON.stringify(result)}`);
  await writeFile(join(artifacts, 'metrics.json'), JSON.stringify(result, null, 2) + '\n');
  assert.ok(m.firstDecisionMs > 0 && m.firstDecisionMs < 15_000);
  assert.ok(perSecond > 1000);
  await page.close();
});

test('README screenshot', T, async () => {
  const { page } = await open();
  await page.setViewportSize({ width: 1440, height: 900 });
  await loadExample(page, 'wrong-context');
  await decisionIs(page, 'ImplicitDeny');
  const path = join(artifacts, 'playground.png');
  await page.screenshot({ path });
  if (process.env.KEYWARD_README_SHOT) await copyFile(path, join(web, 'playground.png'));
  await page.close();
});

test('through a service: an S3 upload is decided step by step, with the why, the fixes and field errors', T, async () => {
  const { page, foreign, errors } = await open();
  await loadExample(page, 'cross-account');
  await decisionIs(page, 'ImplicitDeny');
  await page.click('#tab-service');
  // The catalogue fills the menu; each operation links its AWS page.
  const options = await page.locator('#svc-op option').allTextContents();
  assert.ok(options.length >= 30, `${options.length} service operations`);
  assert.ok(options.some((o) => o.startsWith('s3 PutObject (s3:PutObject → kms:GenerateDataKey)')), options.join('\n'));
  await page.selectOption('#svc-op', { label: options.find((o) => o.startsWith('s3 PutObject')) });
  assert.match(await page.getAttribute('#svc-source', 'href'), /^https:\/\/docs\.aws\.amazon\.com\/kms\/.*services-s3/);
  assert.match(await page.inputValue('#svc-resource'), /^arn:aws:s3:::/);
  // The Simulator's caller and key are the starting values.
  assert.equal(await page.inputValue('#svc-caller'), 'arn:aws:iam::444455556666:user/analyst');
  assert.match(await page.inputValue('#svc-key'), /^arn:aws:kms:us-east-1:111122223333:key\//);
  await page.click('#svc-decide');
  await page.waitForSelector('#svc-decision[data-decision="ImplicitDeny"]');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'svc-decision');
  // The service's own action comes first, and it is what is denied (the identity policy lists
  // only KMS actions); the why names that near miss; the first fix is the narrow one.
  const steps = await page.locator('#svc-steps li').allTextContents();
  assert.match(steps[0], /^s3:PutObject on arn:aws:s3:::.*: ImplicitDeny/);
  assert.match(await page.textContent('#svc-why'), /would allow this, but its Action does not list s3:PutObject/);
  const fixes = await page.locator('#svc-fixes li').allTextContents();
  assert.ok(fixes.length >= 1);
  assert.match(fixes[0], /^allow s3:PutObject on arn:aws:s3:::\S+ \(this resource only\)/);
  await shot(page, '11-service-call');
  // A key that is neither a key ARN nor an AWS managed key alias: cannot decide, the field named.
  await page.fill('#svc-key', 'not-a-key');
  await page.click('#svc-decide');
  const err = await page.waitForSelector('#svc-decision[data-decision="error"]');
  assert.match(await err.textContent(), /request\.service_call\.key/);
  assert.deepEqual(foreign, []);
  assert.deepEqual(errors, []);
  await page.close();
});
