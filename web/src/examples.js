// The example gallery: request scenarios composed from the policy files in ../policies/examples,
// which Vite bundles into the page at build time (no request is made for them at run time).
const files = import.meta.glob('../../policies/examples/*.json', {
  query: '?raw',
  import: 'default',
  eager: true,
});

/** The text of policies/examples/NAME. */
export function exampleFile(name) {
  const text = files[`../../policies/examples/${name}`];
  if (text === undefined) throw new Error(`policies/examples/${name} is not bundled`);
  return text;
}

/** Every bundled example file name, for the "load a file" menu. */
export const exampleFileNames = Object.keys(files)
  .map((p) => p.split('/').pop())
  .sort();

// A key policy without its "Enable IAM User Permissions" statement: the key no longer delegates
// to IAM, so identity policies of the account grant nothing on it.
function withoutRootStatement(name) {
  const doc = JSON.parse(exampleFile(name));
  doc.Statement = doc.Statement.filter((s) => s.Sid !== 'Enable IAM User Permissions');
  return JSON.stringify(doc, null, 2) + '\n';
}

const KEY = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

const doc = (kind, name, text = exampleFile(name)) => ({ kind, name, text });

/** Gallery entries: `{id, title, blurb, state}` where state is the playground state. */
export const examples = [
  {
    id: 'cross-account',
    title: 'Cross-account decrypt denied',
    blurb: 'A user in account 444455556666 calls Decrypt directly, but the key policy admits that account only through S3 (kms:ViaService).',
    state: {
      docs: [
        doc('key', 'cross-account-via-service-key-policy.json'),
        doc('identity', 'iam-kms-basic-usage-policy.json'),
      ],
      request: {
        principal: 'arn:aws:iam::444455556666:user/analyst',
        action: 'kms:Decrypt',
        key_arn: KEY,
        encryption_context: [],
      },
    },
  },
  {
    id: 'wrong-context',
    title: 'Wrong encryption context',
    blurb: 'The key policy requires Department=Finance and Project=DataAnalytics; the caller sends Project=Marketing.',
    state: {
      docs: [
        doc('key', 'encryption-context-finance-dataanalytics-key-policy.json'),
        doc('identity', 'iam-kms-basic-usage-policy.json'),
      ],
      request: {
        principal: 'arn:aws:sts::444455556666:assumed-role/DataProcessingRole/etl-run',
        action: 'kms:Decrypt',
        key_arn: KEY,
        encryption_context: [['Department', 'Finance'], ['Project', 'Marketing']],
      },
    },
  },
  {
    id: 'no-delegation',
    title: "IAM allows but key policy doesn't delegate",
    blurb: 'The IAM policy allows Decrypt on the key, but the key policy (application-key-policy.json without its account statement) never delegates to IAM.',
    state: {
      docs: [
        doc('key', 'application-key-policy.json', withoutRootStatement('application-key-policy.json')),
        doc('identity', 'iam-kms-usage-policy.json'),
      ],
      request: {
        principal: 'arn:aws:iam::111122223333:user/analyst',
        action: 'kms:Decrypt',
        key_arn: KEY,
        encryption_context: [],
      },
    },
  },
  {
    id: 'grant-constraint',
    title: 'Grant with constraint',
    blurb: 'BatchProcessingRole has no IAM policy, only a grant whose EncryptionContextSubset needs Department=Finance and Project=DataAnalytics; the call sends only Department.',
    state: {
      docs: [
        doc('key', 'default-key-policy.json'),
        doc('grant', 'grant-create-request.json'),
      ],
      request: {
        principal: 'arn:aws:sts::111122223333:assumed-role/BatchProcessingRole/nightly',
        action: 'kms:Decrypt',
        key_arn: KEY,
        encryption_context: [['Department', 'Finance']],
      },
    },
  },
  {
    id: 'mfa-emergency',
    title: 'MFA emergency access',
    blurb: 'At night only the emergency statement can allow Decrypt, and it requires MFA (aws:MultiFactorAuthPresent). The on-call session signed in without MFA.',
    state: {
      docs: [doc('key', 'business-hours-mfa-emergency-key-policy.json')],
      request: {
        principal: 'arn:aws:sts::111122223333:assumed-role/EmergencyRole/on-call',
        action: 'kms:Decrypt',
        key_arn: KEY,
        encryption_context: [],
        time: '2026-03-10T23:30:00Z',
      },
    },
  },
  {
    id: 'scp-deletion',
    title: 'SCP blocks key deletion',
    blurb: 'The key policy and the admin policy allow ScheduleKeyDeletion, but an SCP denies it to everyone except BreakGlassKeyAdmin: an explicit deny.',
    state: {
      docs: [
        doc('key', 'default-key-policy.json'),
        doc('identity', 'iam-kms-admin-policy.json'),
        doc('scp', 'scp-deny-key-deletion.json'),
      ],
      request: {
        principal: 'arn:aws:sts::111122223333:assumed-role/KeyAdmin/alice',
        action: 'kms:ScheduleKeyDeletion',
        key_arn: KEY,
        encryption_context: [],
      },
    },
  },
  {
    id: 'boundary-session',
    title: 'Boundary and session policy',
    blurb: 'An IAM policy allows kms:*, a permissions boundary allows only crypto calls, and a session policy allows only Decrypt through S3.',
    state: {
      docs: [
        doc('key', 'default-key-policy.json'),
        doc('identity', 'iam-kms-admin-policy.json'),
        doc('boundary', 'boundary-kms-crypto-only.json'),
        doc('session', 'session-policy-decrypt-only.json'),
      ],
      request: {
        principal: 'arn:aws:sts::111122223333:assumed-role/AppRole/s1',
        action: 'kms:Decrypt',
        key_arn: KEY,
        encryption_context: [],
        via_service: 's3.us-east-1.amazonaws.com',
      },
    },
  },
];
