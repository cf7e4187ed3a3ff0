// The iam-simulate side of keyward's differential harness (tests/differential/run.sh).
//
// Reads one case per line on stdin: {"id", "sim", "alt"} where `sim` and `alt` are
// iam-simulate `Simulation` objects. Writes one line per case on stdout:
//   public:  runSimulation(sim).overallResult   (the public, validating API)
//   ignored: the context keys runSimulation filtered out before evaluating
//   raw:     runUnsafeSimulation(sim)           (same input, the whole context kept)
//   alt:     runUnsafeSimulation(alt)           (policies rewritten to avoid known departures)
// iam-simulate (AGPL) is installed at test time into $IAM_SIMULATE_DIR by run.sh and loaded from
// there; none of its code is part of keyward.
import { createRequire } from 'node:module';
import path from 'node:path';
import readline from 'node:readline';

const dir = process.env.IAM_SIMULATE_DIR;
if (!dir) {
  console.error('IAM_SIMULATE_DIR is not set');
  process.exit(2);
}
const require = createRequire(path.join(dir, 'package.json'));
const { runSimulation, runUnsafeSimulation } = require('@cloud-copilot/iam-simulate');

// runUnsafeSimulation loads the resource policy without a name and then reads its name, which
// throws; a ValidatedPolicy (iam-policy's public plain-object shape) carries one.
// runSimulation also adds RCPFullAWSAccess to every RCP level; runUnsafeSimulation does not.
const FULL_RCP = {
  name: 'RCPFullAWSAccess',
  policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' }] }
};
function unsafeInput(sim) {
  const out = { ...sim };
  out.resourceControlPolicies = sim.resourceControlPolicies.map((l) => ({ ...l, policies: [FULL_RCP, ...l.policies] }));
  if (sim.resourcePolicy) {
    out.resourcePolicy = { __validated: true, policyDocument: sim.resourcePolicy, metadata: { name: 'key policy' }, errors: [] };
  }
  return out;
}

async function answer(c) {
  const out = { id: c.id };
  try {
    const r = await runSimulation(c.sim, {});
    if (r.resultType === 'error') {
      out.error = r.errors;
      return out;
    }
    out.public = r.overallResult;
    out.ignored = r.resultType === 'single' ? (r.result.ignoredContextKeys ?? []) : [];
    out.raw = runUnsafeSimulation(unsafeInput(c.sim), {});
    out.alt = runUnsafeSimulation(unsafeInput(c.alt), {});
  } catch (e) {
    out.error = String(e && e.stack ? e.stack : e);
  }
  return out;
}

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of rl) {
  if (!line.trim()) continue;
  const c = JSON.parse(line);
  if (c.bench) {
    // Benchmark mode: decide the same simulation `n` times through runSimulation.
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < c.n; i++) await runSimulation(c.sim, {});
    const ns = Number(process.hrtime.bigint() - t0);
    process.stdout.write(JSON.stringify({ id: c.id, ns, n: c.n }) + '\n');
    continue;
  }
  process.stdout.write(JSON.stringify(await answer(c)) + '\n');
}
