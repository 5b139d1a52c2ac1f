"""Record Terraform's answer for every expression of corpus.txt into expected.json.

Run from the repository root with the terraform binary on PATH (it needs no provider and no
network): ``python tests/config/conformance/record.py``. Every expression becomes one output of
a scratch configuration; ``terraform apply`` evaluates them together, each error is traced back to
its output by line, and the configuration is re-applied without the failing ones until it
succeeds. Known differences already marked in expected.json are kept.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import FIXTURE, HERE, read_corpus  # noqa: E402


def _config(entries: list[tuple[str, str]]) -> tuple[str, dict[int, str]]:
    lines: list[str] = []
    owner: dict[int, str] = {}
    for name, expr in entries:
        start = len(lines) + 1
        lines.append(f'output "{name}" {{')
        lines.extend(("  value = " + expr).split("\n"))
        lines.append("}")
        for n in range(start, len(lines) + 1):
            owner[n] = name
    return "\n".join(lines) + "\n", owner


def run_terraform(entries: list[tuple[str, str]], terraform: str = "terraform") -> dict[str, Any]:
    """{name: {"value": v, "type": t} or {"error": summary, "detail": detail}} from Terraform."""
    results: dict[str, Any] = {}
    pending = list(entries)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        shutil.copytree(HERE / "files", work / "files")
        while pending:
            text, owner = _config(pending)
            (work / "main.tf").write_text(text, encoding="utf-8")
            for f in ("terraform.tfstate", "terraform.tfstate.backup"):
                (work / f).unlink(missing_ok=True)
            proc = subprocess.run([terraform, "apply", "-auto-approve", "-input=false", "-json"], cwd=work,
                                  capture_output=True, text=True, timeout=300)
            failed: dict[str, dict] = {}
            for raw in proc.stdout.splitlines():
                try:
                    msg = json.loads(raw)
                except json.JSONDecodeError:
                    continue
                d = msg.get("diagnostic")
                if msg.get("type") != "diagnostic" or not d or d.get("severity") != "error":
                    continue
                line = (d.get("range") or {}).get("start", {}).get("line")
                name = owner.get(line)
                named = re.search(r'output value "(\w+)"', d.get("detail", ""))
                if name is None and named:  # e.g. an infinite number that the state cannot hold
                    name = named.group(1)
                if name is None and d.get("summary") == "Failed to persist state to backend":
                    continue  # follows the serialisation error above, which names the output
                if name is None:
                    raise SystemExit(f"terraform error not tied to an expression: {d}")
                failed.setdefault(name, {"error": d.get("summary", ""), "detail": d.get("detail", "")})
            if proc.returncode != 0 and not failed:
                raise SystemExit(f"terraform failed without a diagnostic:\n{proc.stdout}\n{proc.stderr}")
            if failed:
                results.update(failed)
                pending = [(n, e) for n, e in pending if n not in failed]
                continue
            out = subprocess.run([terraform, "output", "-json"], cwd=work, capture_output=True, text=True,
                                 check=True, timeout=120)
            # integers stay exact; fractions keep float precision, the precision the test compares at
            values = json.loads(out.stdout)
            for name, _expr in pending:
                if name in values:
                    results[name] = {"value": values[name]["value"], "type": values[name]["type"]}
                else:  # Terraform leaves null outputs out
                    results[name] = {"value": None, "type": "dynamic"}
            pending = []
    return results


def main() -> None:
    entries = read_corpus()
    results = run_terraform(entries)
    old = json.loads(FIXTURE.read_text(encoding="utf-8")) if FIXTURE.exists() else {}
    version = subprocess.run(["terraform", "version", "-json"], capture_output=True, text=True,
                             check=True).stdout
    fixture: dict[str, Any] = {"terraform_version": json.loads(version)["terraform_version"], "cases": {}}
    for name, expr in entries:
        rec = {"expr": expr, **results[name]}
        prev = old.get("cases", {}).get(name)
        if prev and prev.get("expr") == expr and "known_difference" in prev:
            rec["known_difference"] = prev["known_difference"]
        fixture["cases"][name] = rec
    FIXTURE.write_text(json.dumps(fixture, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    errors = sum(1 for r in fixture["cases"].values() if "error" in r)
    print(f"recorded {len(entries)} expressions ({errors} errors) from Terraform into {FIXTURE}")


if __name__ == "__main__":
    main()
