// The keyward WASM engine as the page uses it: loads the wasm-bindgen package once and wraps its
// JSON-string API (see wasm/keyward.d.ts) in functions that take and return objects.
import init, * as kw from 'keyward-wasm';

let ready = null;

/** Loads and instantiates the module (once). Resolves to the raw package namespace. */
export function loadEngine() {
  if (!ready) ready = init().then(() => kw);
  return ready;
}

function parse(text) {
  try {
    return JSON.parse(text);
  } catch (e) {
    return { ok: false, error: { message: `keyward returned unreadable JSON: ${e.message}` } };
  }
}

/** LintResult | Failure for one document. */
export function lint(text, kind) {
  return parse(kw.lint(text, kind));
}

/** Explanation | Failure for a bundle object. */
export function explain(bundle) {
  return parse(kw.explain(JSON.stringify(bundle)));
}

/** The service operations explain_service_call knows (array of {service, operation, action, kms, source}). */
export function serviceCatalogue() {
  return parse(kw.service_catalogue());
}

/** ServiceCallResult | Failure for a bundle whose request names a service call. */
export function explainServiceCall(bundle) {
  return parse(kw.explain_service_call(JSON.stringify(bundle)));
}

/** WhoCanResult | Failure (principal classes included). */
export function whoCan(bundle) {
  return parse(kw.who_can(JSON.stringify(bundle)));
}

/** DiffResult | Failure for two key policies. */
export function diffPolicies(bundle) {
  return parse(kw.diff(JSON.stringify(bundle)));
}

/** Decisions per second through the WASM API. */
export function benchDecide(n) {
  return kw.bench_decide(n);
}

export function version() {
  return kw.version();
}

/** A new in-memory KMS whose calls return parsed objects. */
export function newKmsSession() {
  const s = new kw.KmsSession();
  return {
    call: (principal, op, input) => parse(s.call(principal || '', op, JSON.stringify(input ?? {}), Date.now())),
    putIdentity: (arn, policies, boundary) => parse(s.put_identity(arn, JSON.stringify(policies), boundary ?? null)),
    putScp: (name, text) => parse(s.put_scp(name, text)),
    deleteOrgPolicy: (name) => parse(s.delete_org_policy(name)),
    defaultCaller: () => s.default_caller(),
    operations: () => parse(s.operations()),
  };
}
