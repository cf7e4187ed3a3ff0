"""Runs the book's runnable code blocks and checks its links to the repository.

Convention (documented in docs/contributing-docs.md):
- a block opened with ```sh title="run"``` is executed with bash (-euo pipefail); it must exit 0
  (a command expected to fail is written `cmd || test $? = 1`);
- a block opened with ```text title="output"``` right after a run block lists lines that must
  appear, in order, in that block's output (stdout and stderr); `...` inside a line matches any
  text, and a line that is only `...` is skipped;
- each page runs in its own empty temporary folder, in which the READ_ONLY folders of the
  repository are linked (fixtures), with `keyward` on PATH and KEYWARD_STATE pointing
  at a fresh folder, so a walkthrough must create every other file it uses;
- every link to https://github.com/keyward/keyward/(blob|tree)/main/PATH must name a PATH that
  exists in this checkout (mkdocs --strict checks the links between pages), and every relative
  link of the top-level Markdown files (README.md, ...) must name an existing file.

Usage: python3 docs/check.py REPO_ROOT   (keyward must be on PATH)
"""

import fnmatch
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

# Repository folders a walkthrough may read (linked into each page's folder; never written).
READ_ONLY = ("policies/examples", "policies/broken", "tests/corpus/inputs", "tests/scenarios")
FENCE = re.compile(r"^(\s*)```(\w*)(.*)$")
REPO_LINK = re.compile(r"https://github\.com/keyward/keyward/(?:blob|tree)/main/([^)\s#\"'>]+)")


def blocks(text):
    """(kind, attrs, body, line) for each fenced block."""
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if m:
            indent, lang, attrs = m.groups()
            start = i + 1
            j = start
            while j < len(lines) and lines[j].strip() != "```":
                j += 1
            body = "\n".join(l[len(indent):] if l.startswith(indent) else l for l in lines[start:j])
            yield lang, attrs, body, start, j
            i = j + 1
        else:
            i += 1


def expect(expected, actual):
    """Each expected line appears in order among the actual lines (`...` = any text)."""
    out = [l.rstrip() for l in actual.splitlines()]
    pos = 0
    for want in expected.splitlines():
        want = want.rstrip()
        if not want.strip() or want.strip() == "...":
            continue
        pat = fnmatch.translate(want.replace("[", "[[]").replace("...", "*"))
        rx = re.compile(pat)
        while pos < len(out) and not rx.match(out[pos]):
            pos += 1
        if pos == len(out):
            return want
        pos += 1
    return None


def run_page(root, page):
    text = page.read_text()
    problems, ran = [], 0
    with tempfile.TemporaryDirectory(prefix="keyward-docs-") as work:
        for name in READ_ONLY:
            (Path(work) / name).parent.mkdir(parents=True, exist_ok=True)
            os.symlink(root / name, Path(work) / name)
        env = dict(os.environ, KEYWARD_STATE=str(Path(work) / ".state"), NO_COLOR="1")
        last = None
        for lang, attrs, body, line, end in blocks(text):
            if 'title="run"' in attrs:
                r = subprocess.run(["bash", "-euo", "pipefail", "-c", body], cwd=work, env=env,
                                   capture_output=True, text=True, timeout=300)
                ran += 1
                last = (r.stdout + r.stderr, line, end)
                if r.returncode != 0:
                    problems.append(f"{page}:{line}: block exited {r.returncode}\n"
                                    + "\n".join("    | " + l for l in (r.stdout + r.stderr).splitlines()[-25:]))
                    last = None
            elif 'title="output"' in attrs:
                if last is None:
                    problems.append(f"{page}:{line}: an output block must follow a run block that passed")
                    continue
                missing = expect(body, last[0])
                if missing is not None:
                    problems.append(f"{page}:{line}: expected output line not found: {missing!r}\n"
                                    + "\n".join("    | " + l for l in last[0].splitlines()[:40]))
                last = None
            else:
                last = None
    return ran, problems


def main():
    root = Path(sys.argv[1]).resolve()
    pages = sorted((root / "docs").rglob("*.md"))
    total, problems = 0, []
    for page in pages:
        rel = page.relative_to(root)
        for m in REPO_LINK.finditer(page.read_text()):
            if not (root / m.group(1)).exists():
                problems.append(f"{rel}: link to a path that does not exist: {m.group(1)}")
        ran, p = run_page(root, page)
        total += ran
        problems += [x.replace(str(page), str(rel)) for x in p]
        print(f"{rel}: {ran} runnable block(s)" + (f", {len(p)} problem(s)" if p else ""))
    # The top-level Markdown files link into the book by relative paths: each must exist.
    for md in sorted(root.glob("*.md")) + [root / "tests" / "scenarios" / "README.md"]:
        for m in re.finditer(r"\]\(([^)#\s]+)(#[^)]*)?\)", md.read_text()):
            target = m.group(1)
            if "://" in target or target.startswith("mailto:"):
                continue
            if not (md.parent / target).exists():
                problems.append(f"{md.relative_to(root)}: link to a missing file: {target}")
    for p in problems:
        print("FAIL " + p)
    print(f"docs: {max(total - len(problems), 0)} passed, {len(problems)} failed")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
