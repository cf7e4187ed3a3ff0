// The KMS tab: an in-memory KMS (the WASM KmsSession) whose calls are authorized by the same
// engine. It creates keys, encrypts and decrypts as a chosen caller, loads the Simulator's
// policies into its IAM model, and logs every call with the reason for a refusal.
import { newKmsSession } from './engine.js';

const $ = (id) => document.getElementById(id);

const TEMPLATES = {
  CreateKey: { Description: 'playground key' },
  Encrypt: { KeyId: '$KEY', Plaintext: 'aGVsbG8=', EncryptionContext: { Department: 'Finance' } },
  Decrypt: { CiphertextBlob: '$CT', EncryptionContext: { Department: 'Finance' } },
  DescribeKey: { KeyId: '$KEY' },
  GetKeyPolicy: { KeyId: '$KEY', PolicyName: 'default' },
  GenerateDataKey: { KeyId: '$KEY', KeySpec: 'AES_256' },
  CreateAlias: { AliasName: 'alias/demo', TargetKeyId: '$KEY' },
  CreateGrant: { KeyId: '$KEY', GranteePrincipal: 'arn:aws:iam::111122223333:role/App', Operations: ['Decrypt'] },
  ListGrants: { KeyId: '$KEY' },
  ListKeys: {},
  ListAliases: {},
  ScheduleKeyDeletion: { KeyId: '$KEY', PendingWindowInDays: 7 },
};

function b64FromText(text) {
  const bytes = new TextEncoder().encode(text);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

function textFromB64(b64) {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new TextDecoder().decode(bytes);
}

function parseContext(text) {
  const out = {};
  for (const part of text.split(',')) {
    const p = part.trim();
    if (!p) continue;
    const i = p.indexOf('=');
    if (i < 1) throw new Error(`"${p}" is not K=V`);
    out[p.slice(0, i).trim()] = p.slice(i + 1).trim();
  }
  return out;
}

// arn:aws:sts::A:assumed-role/R/S -> arn:aws:iam::A:role/R (IAM holds roles, not sessions).
function identityArn(principal) {
  const m = /^arn:(aws[\w-]*):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(principal);
  return m ? `arn:${m[1]}:iam::${m[2]}:role/${m[3]}` : principal;
}

/** `simulator()` returns `{docs: [{kind, name, text}], request}` from the Simulator tab. */
export function setupKms({ simulator }) {
  const kms = newKmsSession();
  $('kms-form').addEventListener('submit', (e) => e.preventDefault());
  const caller = $('kms-caller');
  caller.value = kms.defaultCaller();
  const callers = $('kms-callers');
  for (const c of [kms.defaultCaller(), 'arn:aws:iam::444455556666:user/mallory']) callers.append(new Option(c));
  const ops = kms.operations();
  const opSelect = $('kms-op');
  for (const op of Array.isArray(ops) ? ops : Object.keys(TEMPLATES)) opSelect.append(new Option(op, op));
  const fillTemplate = () => {
    const t = JSON.stringify(TEMPLATES[opSelect.value] || {}, null, 2)
      .replace('"$KEY"', JSON.stringify($('kms-key').value || 'KEY_ID'))
      .replace('"$CT"', JSON.stringify($('kms-ciphertext').value.trim() || 'CIPHERTEXT_BASE64'));
    $('kms-input').value = t;
  };
  opSelect.value = 'DescribeKey';
  opSelect.addEventListener('change', fillTemplate);

  const log = $('kms-log');
  let seq = 0;
  function record(op, who, input, result, hint = null) {
    seq++;
    const li = document.createElement('li');
    li.className = `kms-entry ${result.ok ? 'ok' : 'err'}`;
    li.dataset.op = op;
    li.dataset.seq = String(seq);
    if (!result.ok) li.dataset.code = result.error.code;
    const head = document.createElement('div');
    head.className = 'kms-head';
    const status = document.createElement('strong');
    status.textContent = result.ok ? 'OK' : result.error.code;
    head.append(status, ` ${op} as ${who || kms.defaultCaller()}`);
    li.append(head);
    if (!result.ok) {
      const msg = document.createElement('p');
      msg.className = 'kms-msg';
      msg.textContent = result.error.message || '(AWS gives no message)';
      li.append(msg);
      if (hint) {
        const h = document.createElement('p');
        h.className = 'kms-hint';
        const label = document.createElement('strong');
        label.textContent = "keyward's hint (not AWS's message): ";
        h.append(label, hint);
        li.append(h);
      }
      const ex = result.error.explanation;
      if (ex) {
        const why = document.createElement('p');
        why.className = 'kms-why';
        why.textContent = `keyward: ${ex.decision} — ${ex.summary}`;
        li.append(why);
        if (ex.fixes?.length) {
          const ul = document.createElement('ul');
          for (const f of ex.fixes) {
            const fi = document.createElement('li');
            fi.textContent = f.message;
            ul.append(fi);
          }
          li.append(ul);
        }
      }
    }
    const d = document.createElement('details');
    const s = document.createElement('summary');
    s.textContent = 'request and response';
    const pre = document.createElement('pre');
    pre.textContent = `${JSON.stringify(input, null, 2)}\n→\n${JSON.stringify(result.ok ? result.output : result.error, (k, v) => (k === 'explanation' ? undefined : v), 2)}`;
    d.append(s, pre);
    li.append(d);
    log.prepend(li);
  }

  function call(op, input, hintFor = null) {
    const who = caller.value.trim();
    const result = kms.call(who, op, input);
    record(op, who, input, result, hintFor && !result.ok ? hintFor(result.error) : null);
    return result;
  }

  // The encryption context each ciphertext made in this page was encrypted with, so that a
  // Decrypt refused with AWS's bare InvalidCiphertextException can say what most likely happened.
  const encryptedWith = new Map();
  const showContext = (ctx) => (Object.keys(ctx).length ? Object.entries(ctx).map(([k, v]) => `${k}=${v}`).join(',') : 'no context');
  function decryptHint(ctx, ciphertext) {
    return (error) => {
      if (error.code !== 'InvalidCiphertextException') return null;
      const used = encryptedWith.get(ciphertext);
      if (used && showContext(used) !== showContext(ctx)) {
        return `this ciphertext was encrypted here with ${showContext(used)}, and this Decrypt sent ${showContext(ctx)}. The encryption context must be exactly the one used to encrypt; AWS does not say so, by design.`;
      }
      return 'most likely the encryption context differs from the one used to encrypt (it must match exactly), or the ciphertext was changed or cut. AWS does not say which, by design.';
    };
  }

  function simulatorDocs(kind) {
    return simulator().docs.filter((d) => d.kind === kind && d.text.trim() !== '');
  }

  function recordLocal(op, detail, result) {
    record(op, 'the IAM model', detail, result);
  }

  $('kms-create').addEventListener('click', () => {
    const input = { Description: 'playground key' };
    const keyPolicy = simulatorDocs('key')[0];
    if ($('kms-use-policy').checked && keyPolicy) input.Policy = keyPolicy.text;
    const r = call('CreateKey', input);
    if (r.ok) $('kms-key').value = r.output.KeyMetadata.KeyId;
  });

  $('kms-put-policy').addEventListener('click', () => {
    const keyPolicy = simulatorDocs('key')[0];
    if (!keyPolicy) return recordLocal('PutKeyPolicy', {}, { ok: false, error: { code: 'NoPolicy', message: 'The Simulator has no key policy.' } });
    call('PutKeyPolicy', { KeyId: $('kms-key').value.trim(), PolicyName: 'default', Policy: keyPolicy.text });
  });

  $('kms-sync').addEventListener('click', () => {
    const sim = simulator();
    const principal = sim.request.principal;
    const arn = identityArn(principal);
    const policies = simulatorDocs('identity').map((d) => ({ name: d.name, text: d.text }));
    const boundary = simulatorDocs('boundary')[0]?.text ?? null;
    const r = kms.putIdentity(arn, policies, boundary);
    recordLocal('put_identity', { arn, policies: policies.map((p) => p.name), boundary: !!boundary }, r.ok ? { ok: true, output: { identity: arn } } : r);
    for (const d of simulatorDocs('scp')) {
      const s = kms.putScp(d.name, d.text);
      recordLocal('put_scp', { name: d.name }, s.ok ? { ok: true, output: { scp: d.name } } : s);
    }
    if (r.ok && principal) {
      caller.value = principal;
      if (![...callers.options].some((o) => o.value === principal)) callers.append(new Option(principal));
    }
  });

  $('kms-encrypt').addEventListener('click', () => {
    let ctx;
    try {
      ctx = parseContext($('kms-context').value);
    } catch (e) {
      return recordLocal('Encrypt', {}, { ok: false, error: { code: 'BadInput', message: e.message } });
    }
    const input = { KeyId: $('kms-key').value.trim(), Plaintext: b64FromText($('kms-plaintext').value) };
    if (Object.keys(ctx).length) input.EncryptionContext = ctx;
    const r = call('Encrypt', input);
    if (r.ok) {
      $('kms-ciphertext').value = r.output.CiphertextBlob;
      encryptedWith.set(r.output.CiphertextBlob, ctx);
    }
  });

  $('kms-decrypt').addEventListener('click', () => {
    let ctx;
    try {
      ctx = parseContext($('kms-context').value);
    } catch (e) {
      return recordLocal('Decrypt', {}, { ok: false, error: { code: 'BadInput', message: e.message } });
    }
    const input = { CiphertextBlob: $('kms-ciphertext').value.trim() };
    if (Object.keys(ctx).length) input.EncryptionContext = ctx;
    const r = call('Decrypt', input, decryptHint(ctx, input.CiphertextBlob));
    $('kms-decrypted').value = r.ok ? textFromB64(r.output.Plaintext) : `(refused: ${r.error.code})`;
  });

  $('kms-call').addEventListener('click', () => {
    let input;
    try {
      input = JSON.parse($('kms-input').value || '{}');
    } catch (e) {
      return recordLocal(opSelect.value, {}, { ok: false, error: { code: 'BadInput', message: `input is not JSON: ${e.message}` } });
    }
    call(opSelect.value, input);
  });
  fillTemplate();
}
