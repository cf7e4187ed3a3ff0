// keyward.d.ts: TypeScript types of the @keyward/wasm package (keyward compiled to WASM).
//
// Every function takes and returns JSON *strings* (parse the result with JSON.parse and narrow
// on `ok`). No function throws for bad input: errors come back as `{ ok: false, error }`.
// Byte offsets (`start`, `end`) index the UTF-8 text; `start16`/`end16` index the JS string
// (UTF-16 code units) and are what an editor such as CodeMirror wants. Lines and columns are
// 1-based; columns count characters (as keyward's CLI prints them).
//
// The wasm-bindgen generated `keyward_wasm.d.ts` in each package declares the raw functions
// (all `string`/`number`/`boolean`); this file documents the JSON shapes behind the strings.
//
// Loading:
//   web:    import init, { lint, explain, test, who_can, diff, KmsSession, version, bench_decide } from "@keyward/wasm";
//           await init();            // fetches keyward_wasm_bg.wasm next to the JS file
//   nodejs: const kw = require("@keyward/wasm");   // synchronous, no init()

// ---------------------------------------------------------------------------------------------
// Common

/** An error object; every function returns `{ ok: false, error }` instead of throwing. */
export interface ErrorInfo {
  /** One line, for people. */
  message: string;
  /**
   * Which input is wrong, as a path into the input: "bundle", "key_policy",
   * "identity_policies[1]", "identity_policies[1].text", "scps[0][2]", "grants",
   * "request.principal", "request.time", "input_json", "kind", "scenario", ...
   * Absent when no single input is to blame.
   */
  field?: string;
  /** Where in that input's text (1-based), for parse errors in a document. */
  line?: number;
  column?: number;
  /** Byte offsets and UTF-16 offsets of the error in that input's text. */
  start?: number;
  end?: number;
  start16?: number;
  end16?: number;
  /** For parse errors: every error-level diagnostic of the document (same shape as lint findings). */
  diagnostics?: LintFinding[];
}

export interface Failure {
  ok: false;
  error: ErrorInfo;
}

/** A span of text with its positions resolved. `line`/`column` are absent when the text is unknown. */
export interface TextSpan {
  start: number;
  end: number;
  start16?: number;
  end16?: number;
  line?: number;
  column?: number;
  end_line?: number;
  end_column?: number;
}

// ---------------------------------------------------------------------------------------------
// lint(text, kind)

export type LintKind =
  | "auto" | "key" | "resource" | "identity" | "scp" | "rcp" | "boundary" | "session" | "grant";

export type Severity = "ERROR" | "SECURITY_WARNING" | "WARNING" | "SUGGESTION";

export interface LintFinding {
  /** Stable kebab-case code (see LINT.md), e.g. "invalid-action", "json-syntax". */
  code: string;
  severity: Severity;
  message: string;
  /** UTF-8 byte offsets in the text. */
  start: number;
  end: number;
  /** UTF-16 offsets (JS string indices): use these for editor markers. */
  start16: number;
  end16: number;
  /** 1-based. */
  line: number;
  column: number;
  end_line: number;
  end_column: number;
  /** JSON path of the element, e.g. "Statement[2].Condition" ("" for the document). */
  path: string;
  /** The suggested fix in words, or null. */
  fix: string | null;
}

export interface LintResult {
  ok: true;
  /** The kind the text was linted as (null when the text is not JSON at all). */
  kind: Exclude<LintKind, "auto"> | null;
  /** True when kind was "auto" and keyward inferred it. */
  kind_inferred: boolean;
  /** In source order. */
  findings: LintFinding[];
}

/** Lints one document. `kind` defaults to "auto". */
export declare function lint(text: string, kind: LintKind): string; // LintResult | Failure

/** Every check lint can report: `[{code, severity, title, access_analyzer}]` (JSON string). */
export declare function lint_checks(): string;

// ---------------------------------------------------------------------------------------------
// explain(bundle)

export interface NamedText {
  name: string;
  text: string;
}

/** The request to decide. */
export interface BundleRequest {
  /** user/role/assumed-role ARN, an account id (its root), or "service:NAME" (e.g. "service:s3.amazonaws.com"). */
  principal: string;
  /** e.g. "kms:Decrypt". */
  action: string;
  /** Key ARN, or a key id (then the ARN is built with `region` and the caller's account). */
  key_arn?: string;
  /** Resource ARN for non-KMS actions (used when key_arn is absent). Default "*". */
  resource?: string;
  /** The alias the request used (sets kms:RequestAlias). */
  alias?: string;
  encryption_context?: Record<string, string>;
  /** kms:ViaService, e.g. "s3.us-east-1.amazonaws.com". */
  via_service?: string;
  /** Seconds since the caller's MFA; sets aws:MultiFactorAuthPresent=true and aws:MultiFactorAuthAge. Absent: no MFA. */
  mfa_age_s?: number;
  /** aws:SourceIp. */
  source_ip?: string;
  /** RFC 3339, e.g. "2026-03-10T14:00:00Z"; sets aws:CurrentTime and aws:EpochTime. */
  time?: string;
  /** Region (default: from the key ARN, else us-east-1). */
  region?: string;
  /** Tags of the caller: aws:PrincipalTag/K. */
  principal_tags?: Record<string, string>;
  /** Any other context key; an array makes a multivalued key. Applied last (overrides). */
  context?: Record<string, string | string[]>;
}

export interface Bundle {
  /** The KMS key policy text. Absent: no key policy (then nothing on the key side allows; same as the CLI). */
  key_policy?: string;
  /** A resource-based policy for non-KMS resources (ignored when key_policy is given). */
  resource_policy?: string;
  identity_policies?: NamedText[];
  /** Permissions boundary text. */
  boundary?: string;
  session_policy?: string;
  /** SCPs by organization level: scps[level][i]. Every level must allow. A flat list of NamedText is one level. */
  scps?: NamedText[][];
  /** RCPs by level, like scps. */
  rcps?: NamedText[][];
  /** Grants text: one CreateGrant request, a list of grants, or a ListGrants response. */
  grants?: string;
  request: BundleRequest;
}

/** Where a statement came from (as serialized by keyward-core). */
export type Source =
  | { type: "resource_policy" }
  | { type: "identity"; index: number }
  | { type: "boundary" }
  | { type: "session" }
  | { type: "scp"; level: number; index: number }
  | { type: "rcp"; level: number; index: number }
  | { type: "grant"; index: number };

export type Decision = "Allow" | "ExplicitDeny" | "ImplicitDeny";

export type Rule =
  | "explicit_deny" | "scp_no_allow" | "rcp_no_allow" | "key_policy_allows_caller"
  | "key_policy_allows_role" | "key_policy_delegates_to_iam" | "grant_allows"
  | "resource_policy_allows" | "identity_allows" | "cross_account_both_allow"
  | "kms_not_delegated" | "kms_delegated_no_iam_allow" | "kms_nothing_allows"
  | "boundary_no_allow" | "session_no_allow" | "cross_account_no_resource_allow"
  | "cross_account_no_identity_allow" | "nothing_allows" | "cross_account_not_callable"
  | "create_grant_beyond_parent_grant" | "retiring_principal_retires" | "grantee_retires"
  | "grant_account_retires" | "retire_not_permitted";

export interface Decider {
  source: Source;
  /** Policy name for people ("the key policy", "the permissions boundary", "the session policy", an identity policy's or SCP's given name) or the grant's label. */
  policy: string;
  /** Statement index in its policy (0 for grants). */
  statement: number;
  /** "'Sid'" or "#n". */
  label: string;
  effect: "Allow" | "Deny";
  /** The bundle field holding the policy: "key_policy", "identity_policies[0]", "boundary", "session_policy", "scps[0][1]", "rcps[0][0]", "grants", or null. */
  field: string | null;
  /** The statement's text in that field (null for grants or when unknown). Highlight this. */
  span: TextSpan | null;
}

/** A fix's edit, as serialized by keyward-core. */
export type Edit =
  | { kind: "add_action"; source: Source; statement: number; action: string }
  | { kind: "add_resource"; source: Source; statement: number; resource: string }
  | { kind: "add_principal"; source: Source; statement: number; principal: string }
  | { kind: "add_statement"; source: Source; statement: string /* the statement JSON */ }
  | { kind: "add_condition_value"; source: Source; statement: number; operator: string; key: string; value: string }
  | { kind: "add_grant"; grantee: string; operations: string[]; encryption_context_subset: Record<string, string> }
  | { kind: "set_context"; key: string; value: string }
  | { kind: "remove_context"; key: string };

/** The access a fix adds (fixes are ranked by it, least first). */
export interface Access {
  actions: number;
  /** An account counts as 1000, everyone as 10000. */
  principals: number;
  /** It widens a kms:*, key-administration or identity Resource "*" statement: offered only when nothing narrower works, last. */
  broad: boolean;
}

export interface Fix {
  /** For people, e.g. "add kms:Decrypt to the Action of statement 'Use' in key_policy". */
  message: string;
  edit: Edit;
  adds: Access;
  /** Security findings keyward lint reports on the fixed document and not on the original (empty for a safe fix; a labelled fix also says so in `message` and comes after the others). */
  lint: string[];
  /**
   * What to change to apply it in one click:
   * - a policy edit: `field` names the bundle field ("key_policy", "identity_policies[2]", ...)
   *   and `fixed_text` is that field's whole new text (the original text with the edit spliced in: formatting and key order kept). When `field` is
   *   "identity_policies[N]" with N == identity_policies.length, append a new identity policy
   *   `{name: new_policy_name, text: fixed_text}`.
   * - a request edit (set_context/remove_context): `field` is "request" and `fixed_request`
   *   is the bundle's whole new `request`.
   * Applying it and calling explain again gives Allow (keyward checked this; fixes where the
   * text edit could not be made are still listed, with fixed_text/fixed_request null).
   */
  field: string | null;
  fixed_text: string | null;
  fixed_request: BundleRequest | null;
  /** Only for a new identity policy. */
  new_policy_name?: string;
}

export interface ElementTrace {
  matched: boolean;
  /** "Action", "NotAction", "Resource", "NotResource", "Principal", "NotPrincipal". */
  element: string;
  listed: string[];
}

export interface CondTrace {
  operator: string;
  key: string;
  /** The request's values, or null when the key is missing. */
  request: string[] | null;
  values: string[];
  result: boolean;
  note: string | null;
  /** The condition key's text in the policy field. */
  span: TextSpan;
}

export interface StatementTrace {
  index: number;
  sid: string | null;
  effect: "Allow" | "Deny";
  action: ElementTrace;
  resource: ElementTrace;
  principal: ElementTrace | null;
  principal_how: "not_matched" | "not_applicable" | "account" | "role" | "direct";
  conditions: CondTrace[];
  applies: boolean;
  span: TextSpan;
}

export interface PolicyTrace {
  source: Source;
  name: string;
  /** The bundle field of this policy (see Decider.field). */
  field: string | null;
  statements: StatementTrace[];
}

export interface GrantTrace {
  index: number;
  label: string;
  grantee_matched: boolean;
  operation_matched: boolean;
  /** [constraint type, holds] or null. */
  constraint: [string, boolean] | null;
  /** CreateGrant: whether the grant requested stays within this grant, or null. */
  within_parent: boolean | null;
  applies: boolean;
}

export interface Trace {
  policies: PolicyTrace[];
  grants: GrantTrace[];
}

/** The request as evaluated (keyward-core's serialization). */
export interface EvaluatedRequest {
  principal: {
    kind: "Root" | "User" | "Role" | "AssumedRole" | "Service" | string;
    arn: string;
    account: string;
    role_arn: string | null;
    role_name: string | null;
    user_name: string | null;
  };
  action: string;
  resource: string;
  /** Every context key, derived and given, in order. */
  context: { entries: { key: string; value: string | string[] }[] };
}

export interface Explanation {
  ok: true;
  decision: Decision;
  rule: Rule;
  /** The why: the near miss (when there is one) on its first line, then the rule in plain words; lines separated by "\n". */
  summary: string;
  /** The statements that decided (empty for most implicit denies). */
  deciders: Decider[];
  /** Up to 3 fixes, least added access first, only for ImplicitDeny; add_grant fixes use the "grants" field. */
  fixes: Fix[];
  trace: Trace;
  request: EvaluatedRequest;
  /** The same explanation rendered as text for an 80-column terminal (keyward explain's output). */
  text: string;
}

/** Decides one request. `bundle` is a JSON-encoded Bundle. */
export declare function explain(bundle: string): string; // Explanation | Failure

// explain_service_call(bundle): the explain bundle whose request names a service operation
// instead of an action: { principal, service_call: { service, operation, resource, key?,
// region?, params? } }. key: a key ARN or alias/aws/SERVICE (the AWS managed key).
export interface ServiceCallResult {
  ok: true;
  /** Allow | ExplicitDeny | ImplicitDeny, or an AWS error code (NotFoundException). */
  decision: string;
  /** The KMS actions the operation needs, in order. */
  kms_actions: string[];
  /** Each request decided, in order, up to the first that is not allowed. */
  steps: { request: string; decision: Decision; rule: string }[];
  /** A request KMS refuses before authorization (a key of another Region). */
  error: { code: string; why: string } | null;
  /** The explanation of the deciding request (fixes through the lint gate; `field`s are null). */
  explanation: Explanation | null;
}
export declare function explain_service_call(bundle: string): string; // ServiceCallResult | Failure

/** One row of the service-call catalogue: the service's own action (empty when the caller needs
 * none), the KMS actions the service makes, and the AWS page the row follows. */
export interface ServiceOperation { service: string; operation: string; action: string; kms: string[]; source: string }
/** The catalogue `explain_service_call` knows (JSON array of ServiceOperation). */
export declare function service_catalogue(): string;

// ---------------------------------------------------------------------------------------------
// test(scenario, yaml, files?)

export interface CaseResult {
  name: string;
  expected: Decision;
  /** The decision, or "error: ..." when the case could not be built. */
  actual: Decision | string;
  pass: boolean;
  rule: Rule | null;
  /** For a failing case, the human explanation of what keyward decided; null when it passes. */
  trace: string | null;
  /** Where the case is in the scenario text. */
  line: number;
  column: number;
  start16: number;
  end16: number;
}

export interface TestResult {
  ok: true;
  passed: number;
  failed: number;
  cases: CaseResult[];
}

/**
 * Runs a scenario file (JSON, or YAML when `yaml`). Policies it references by path are looked up
 * in `files_json`, a JSON object `{ "path": "text" }` (optional; absent: references fail).
 * A scenario that does not load returns `{ ok: false, error: { field: "scenario", line, column, diagnostics } }`.
 */
export declare function test(scenario: string, yaml: boolean, files_json?: string): string; // TestResult | Failure

// ---------------------------------------------------------------------------------------------
// KmsSession: an in-memory KMS gated by the same engine

export interface KmsOk {
  ok: true;
  /** The operation's AWS JSON response (binary values base64). */
  output: any;
}

export interface KmsFailure {
  ok: false;
  error: {
    /** AWS error code, e.g. "AccessDeniedException", "InvalidCiphertextException", "ValidationException", "NotFoundException". */
    code: string;
    message: string;
    /** For AccessDeniedException: why (the same shape as explain's; `field`s are null, spans have no line/column). */
    explanation?: Explanation;
    /** With `explanation`: its human rendering (also in `explanation.text`). */
    human?: string;
    field?: string;
  };
}

/** Who calls, for `call_as`. */
export interface CallerSpec {
  /** Default: the session's default caller (arn:aws:iam::111122223333:user/admin). */
  principal?: string;
  /** Request time, epoch milliseconds (default 0; pass Date.now()). */
  now_ms?: number;
  source_ip?: string;
  via_service?: string;
  mfa_age_s?: number;
  source_vpce?: string;
  /** A session policy in force (text). */
  session_policy?: string;
  /** Extra context keys. */
  context?: Record<string, string>;
  /** The Region of the call (its keys, aliases and grants); default us-east-1. */
  region?: string;
}

export declare class KmsSession {
  free(): void;
  /** A fresh in-memory KMS (us-east-1, account 111122223333) with the default admin user seeded. */
  constructor();
  /**
   * Calls a KMS operation (AWS names: "CreateKey", "Encrypt", "Decrypt", "CreateAlias",
   * "PutKeyPolicy", "CreateGrant", ...) with its AWS JSON input (`{"KeyId": ..., "Plaintext": base64, "EncryptionContext": {...}}`).
   * `principal` "" means the default caller. `now_ms`: epoch ms (Date.now()).
   */
  call(principal: string, operation: string, input_json: string, now_ms: number): string; // KmsOk | KmsFailure
  /** Like call, with a full caller (JSON CallerSpec): MFA, source IP, via service, session policy. */
  call_as(caller_json: string, operation: string, input_json: string): string; // KmsOk | KmsFailure
  /**
   * Creates or replaces an IAM user or role. `policies_json`: `[{name, text}]` or `{name: text}`.
   * Returns `{ok: true}` or a KmsFailure (MalformedPolicyDocumentException, ValidationException).
   */
  put_identity(arn: string, policies_json: string, boundary?: string | null): string;
  /** Adds or replaces an SCP (level 0, every account). Returns `{ok: true}` or a KmsFailure. */
  put_scp(name: string, text: string): string;
  /** Adds or replaces an RCP (level 0, every account). */
  put_rcp(name: string, text: string): string;
  /** Removes an SCP or RCP by name. */
  delete_org_policy(name: string): string;
  /** The default caller's ARN (plain string, not JSON). */
  default_caller(): string;
  /** The supported operations: JSON array of names. */
  operations(): string;
}

// ---------------------------------------------------------------------------------------------
// who_can(bundle), diff(bundle): who may use a key, principal classes included

export interface AccessBundle {
  /** The key policy (`aws kms get-key-policy` output or the document). */
  key_policy: string;
  /** The key ARN (default: a placeholder key of account 111122223333). */
  key_arn?: string;
  /** Actions: "kms:Decrypt,kms:Encrypt" or a list (default kms:Decrypt). */
  actions?: string | string[];
  /** `aws iam get-account-authorization-details` output: its principals become rows. */
  account_export?: string;
  /** Grants on the key (`aws kms list-grants` output, a list, or a CreateGrant request). */
  grants?: string;
}

export interface Requirement { condition: string; from: string }

/** A class of callers: everyone the policy decides alike (issue 22). */
export interface ClassInfo {
  /** The class in words, e.g. "any principal of account 444455556666 (needs its own IAM allow)". */
  description: string;
  /** The caller that was decided for it. */
  representative: string;
  /** Its attributes: [["aws:PrincipalOrgID", "o-..."], ["aws:PrincipalTag/team", "data"]]. */
  context: [string, string][];
  /** How many representatives it merges. */
  members: number;
}

export interface AccessRow {
  /** ARN, or the class in words. */
  principal: string;
  /** "user", "role", "other account", "external role", "service", "class", ... */
  kind: string;
  action: string;
  status: "Allow" | "ConditionalAllow" | "Deny";
  /** Conditions on request-time keys that must hold (ConditionalAllow). */
  conditions: Requirement[];
  /** Deny statements that apply when their request-time conditions hold. */
  unless: string[];
  why: string;
  assumption: string | null;
  class?: ClassInfo;
}

export interface WhoCanResult { ok: true; key: string; rows: AccessRow[] }

/** Declared and exported as `who_can`. */
export declare function who_can(bundle: string): string; // WhoCanResult | Failure

export interface DiffBundle {
  /** The key policy before and after the change. */
  old: string;
  new: string;
  key_arn?: string;
  /** Default: the 20 common KMS actions. */
  actions?: string | string[];
  account_export?: string;
}

export interface AccessChange {
  change: "added" | "removed" | "conditions changed" | "deny conditions changed";
  principal: string;
  action: string;
  key: string;
  before: Omit<AccessRow, "principal" | "kind" | "action" | "assumption" | "class">;
  after: Omit<AccessRow, "principal" | "kind" | "action" | "assumption" | "class">;
  class?: ClassInfo;
}

export interface DiffResult { ok: true; key: string; added_access: boolean; changes: AccessChange[] }

export declare function diff(bundle: string): string; // DiffResult | Failure

// ---------------------------------------------------------------------------------------------
// misc

/** The package version (plain string), e.g. "0.1.0". */
export declare function version(): string;

/**
 * Decides a fixed realistic request (the encryption-context key policy, an identity policy,
 * two SCPs and two grants from policies/examples; an assumed role decrypting with a two-pair
 * encryption context) `n` times and returns decisions per second, measured with
 * `performance.now()` (at least n decisions and at least 2 ms). Compare with `cargo run --release -p keyward-wasm --example bench_native`.
 */
export declare function bench_decide(n: number): number;
