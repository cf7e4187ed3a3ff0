// Checks the Simulator's request form field by field before anything is decided: a request AWS
// could not receive (a key that is not a key ARN, an unknown or unprefixed action, a malformed
// principal, a bad IP or time) gets an error beside its field, with a did-you-mean for actions.

const PARTITION = '(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b)';
const PRINCIPAL_ARN = new RegExp(
  `^arn:${PARTITION}:(iam::\\d{12}:(root|(user|role|federated-user)/[\\w+=,.@/-]+)|sts::\\d{12}:(assumed-role/[\\w+=,.@-]+/[\\w+=,.@-]+|federated-user/[\\w+=,.@-]+))$`,
);
const ACCOUNT_ID = /^\d{12}$/;
const SERVICE_PRINCIPAL = /^[a-z0-9-]+(\.[a-z0-9-]+)*\.amazonaws\.com(\.cn)?$/;
const KEY_ARN = new RegExp(`^arn:${PARTITION}:kms:[a-z]{2}(-[a-z]+)+-\\d:\\d{12}:key/[A-Za-z0-9-]+$`);
const ACTION = /^([a-z0-9-]+):([A-Za-z0-9]+)$/;

/** Edit distance between two strings (case-insensitive), for did-you-mean. */
function distance(a, b) {
  a = a.toLowerCase();
  b = b.toLowerCase();
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

/** The known action closest to `name` (the part after "kms:"), or null when none is close. */
export function closestAction(name, known) {
  let best = null;
  let bestD = Infinity;
  for (const k of known) {
    const d = distance(name, k.replace(/^kms:/, ''));
    if (d < bestD) {
      best = k;
      bestD = d;
    }
  }
  return best && bestD <= Math.max(2, Math.floor(name.length / 3)) ? best : null;
}

function validIpv4(s) {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255);
}

function validIpv6(s) {
  if (!s.includes(':') || !/^[0-9A-Fa-f:.]+$/.test(s)) return false;
  try {
    new URL(`http://[${s}]/`);
    return true;
  } catch {
    return false;
  }
}

function validTime(s) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-](\d{2}):(\d{2}))$/i.exec(s);
  if (!m) return false;
  const [y, mo, d, h, mi, se] = m.slice(1, 7).map(Number);
  const dt = new Date(Date.UTC(y, mo - 1, d, h, mi, se));
  const offsetOk = m[8].toUpperCase() === 'Z' || (Number(m[9]) <= 23 && Number(m[10]) <= 59);
  return offsetOk && dt.getUTCFullYear() === y && dt.getUTCMonth() === mo - 1 && dt.getUTCDate() === d
    && dt.getUTCHours() === h && dt.getUTCMinutes() === mi && dt.getUTCSeconds() === se;
}

/**
 * The errors of a request form (`{principal, action, key_arn, source_ip, time, ...}`), each
 * `{field, message}` where field names the form input (`principal`, `action`, `key_arn`,
 * `source_ip`, `time`). `knownActions` lists the KMS actions ("kms:Decrypt", ...).
 */
export function checkRequest(form, knownActions) {
  const errors = [];
  const bad = (field, message) => errors.push({ field, message });

  const p = form.principal || '';
  if (!p) bad('principal', 'Give the caller: an IAM or STS ARN, or a 12-digit account id.');
  else if (!(PRINCIPAL_ARN.test(p) || ACCOUNT_ID.test(p) || SERVICE_PRINCIPAL.test(p))) {
    bad('principal', p.startsWith('arn:')
      ? `"${p}" is not a principal ARN: expected arn:aws:iam::ACCOUNT:user/NAME, …:role/NAME, …:root, or arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION.`
      : `"${p}" is not a principal: give an IAM or STS ARN, a 12-digit account id, or a service principal.`);
  }

  const a = form.action || '';
  const m = ACTION.exec(a);
  if (!a) bad('action', 'Give the action, e.g. kms:Decrypt.');
  else if (!a.includes(':')) {
    const near = closestAction(a, knownActions);
    bad('action', `"${a}" has no service prefix${near ? `: did you mean ${near}?` : ' (write service:Action, e.g. kms:Decrypt).'}`);
  } else if (!m) {
    bad('action', `"${a}" is not an action: write service:Action, e.g. kms:Decrypt.`);
  } else if (m[1] === 'kms') {
    const known = knownActions.some((k) => k.toLowerCase() === a.toLowerCase());
    if (!known) {
      const near = closestAction(m[2], knownActions);
      bad('action', `"${a}" is not a KMS action${near ? `: did you mean ${near}?` : '.'}`);
    }
  } else if (form.key_arn) {
    bad('action', `"${a}" is an action of ${m[1]}, not of KMS: a KMS key receives only kms: actions.`);
  }

  const k = form.key_arn || '';
  if (k && !KEY_ARN.test(k)) {
    bad('key_arn', /^[0-9a-f-]{36}$|^mrk-/i.test(k)
      ? `"${k}" is a key id, not a key ARN: write arn:aws:kms:REGION:ACCOUNT:key/${k}.`
      : `"${k}" is not a key ARN: expected arn:aws:kms:REGION:ACCOUNT:key/KEY-ID.`);
  }

  const ip = form.source_ip || '';
  if (ip && !validIpv4(ip) && !validIpv6(ip)) bad('source_ip', `"${ip}" is not an IPv4 or IPv6 address.`);

  const t = form.time || '';
  if (t && !validTime(t)) bad('time', `"${t}" is not an RFC 3339 time such as 2026-03-10T14:00:00Z.`);
  return errors;
}
