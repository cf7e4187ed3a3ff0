"""Runs the composite steps of action.yml locally, as GitHub's runner would, for the tests.

Only what action.yml uses is supported: `${{ inputs.X }}`, `${{ github.action_path }}`,
`${{ steps.ID.outputs.X }}`, `steps.ID.outcome`, `always()`, `==`/`!=` against quoted strings and
`&&` in `if:`. `uses:` steps are not run; they are recorded (with their `with:`) so the test can
check what would have been uploaded. Unknown expressions raise, so the runner cannot silently
skip a step it does not understand.

Usage: python action_runner.py ACTION_YML WORKDIR KEY=VALUE...   (inputs)
Prints a JSON summary on its last line: {"steps": [...], "failed": bool, "outputs": {...}}.
"""

import json
import os
import re
import subprocess
import sys
import tempfile

import yaml

EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


class Ctx:
    def __init__(self, action_path, inputs):
        self.action_path = action_path
        self.inputs = inputs
        self.steps = {}
        self.failed = False

    def value(self, ref):
        ref = ref.strip()
        if ref.startswith("inputs."):
            return self.inputs[ref[len("inputs."):]]
        if ref == "github.action_path":
            return self.action_path
        m = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", ref)
        if m:
            return self.steps.get(m[1], {}).get("outputs", {}).get(m[2], "")
        m = re.fullmatch(r"steps\.([\w-]+)\.outcome", ref)
        if m:
            return self.steps.get(m[1], {}).get("outcome", "skipped")
        m = re.fullmatch(r"'([^']*)'", ref)
        if m:
            return m[1]
        raise ValueError(f"unsupported expression `{ref}`")

    def cond(self, expr):
        if expr is None:
            return not self.failed
        always = False
        ok = True
        for part in expr.split("&&"):
            part = part.strip()
            if part == "always()":
                always = True
                continue
            m = re.fullmatch(r"(.+?)\s*(==|!=)\s*(.+)", part)
            if not m:
                raise ValueError(f"unsupported condition `{part}`")
            left, right = self.value(m[1]), self.value(m[3])
            ok = ok and ((left == right) if m[2] == "==" else (left != right))
        return ok and (always or not self.failed)

    def subst(self, text):
        return EXPR.sub(lambda m: str(self.value(m[1])), str(text))


def main():
    action_yml, workdir = sys.argv[1], sys.argv[2]
    given = dict(a.split("=", 1) for a in sys.argv[3:])
    action = yaml.safe_load(open(action_yml))
    inputs = {k: str(v.get("default", "")) for k, v in action["inputs"].items()}
    for k in given:
        if k not in inputs:
            raise SystemExit(f"unknown input `{k}`")
    inputs.update(given)
    ctx = Ctx(os.path.dirname(os.path.abspath(action_yml)), inputs)
    summary = []
    for step in action["runs"]["steps"]:
        sid = step.get("id", step.get("name"))
        if not ctx.cond(step.get("if")):
            ctx.steps[sid] = {"outcome": "skipped"}
            summary.append({"name": step["name"], "outcome": "skipped"})
            continue
        if "uses" in step:
            w = {k: ctx.subst(v) for k, v in step.get("with", {}).items()}
            ctx.steps[sid] = {"outcome": "success"}
            summary.append({"name": step["name"], "outcome": "recorded", "uses": step["uses"], "with": w})
            continue
        with tempfile.NamedTemporaryFile("r", delete=False) as out, \
                tempfile.NamedTemporaryFile("r", delete=False) as path:
            env = dict(os.environ, GITHUB_OUTPUT=out.name, GITHUB_PATH=path.name)
            env.update({k: ctx.subst(v) for k, v in step.get("env", {}).items()})
            r = subprocess.run(["bash", "-c", step["run"]], cwd=workdir, env=env,
                               capture_output=True, text=True)
            outputs = dict(line.split("=", 1) for line in open(out.name).read().splitlines() if "=" in line)
        sys.stdout.write(r.stdout)
        sys.stdout.write(r.stderr)
        outcome = "success" if r.returncode == 0 else "failure"
        ctx.steps[sid] = {"outcome": outcome, "outputs": outputs}
        ctx.failed = ctx.failed or r.returncode != 0
        summary.append({"name": step["name"], "outcome": outcome, "outputs": outputs})
    print(json.dumps({"steps": summary, "failed": ctx.failed}))


if __name__ == "__main__":
    main()
