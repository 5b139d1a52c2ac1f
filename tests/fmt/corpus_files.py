"""The fmt corpus: our adversarial files in tests/fmt/corpus, plus every .tf/.tfvars the repository tracks."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path(__file__).resolve().parent / "corpus"
EXPECTED = Path(__file__).resolve().parent / "expected.json"
EXTENSIONS = (".tf", ".tfvars", ".tftest.hcl", ".tfmock.hcl")


def corpus_files() -> list[str]:
    """Repository-relative paths: the examples, the test fixtures and the adversarial corpus."""
    try:
        listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
        tracked = [p for p in listed.splitlines() if p.endswith(EXTENSIONS)]
    except (OSError, subprocess.CalledProcessError):
        tracked = [str(p.relative_to(ROOT)) for p in ROOT.rglob("*") if p.name.endswith(EXTENSIONS)
                   and ".git" not in p.parts and ".clbplan" not in p.parts]
    adversarial = [str(p.relative_to(ROOT)) for p in sorted(CORPUS.iterdir()) if p.name.endswith(EXTENSIONS)]
    return sorted(set(tracked) | set(adversarial))
