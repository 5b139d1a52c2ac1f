"""Record ``terraform fmt``'s answer for every corpus file into tests/fmt/expected.json.

Run where the terraform binary is installed: ``python -m tests.fmt.record``. For each file it
keeps the input's hash, the exit code and the file as ``terraform fmt FILE`` rewrote it (the exact
bytes, not the stdout form), so the comparison runs on machines without Terraform.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.fmt.corpus_files import EXPECTED, ROOT, corpus_files


def terraform_fmt(data: bytes, name: str) -> tuple[int, bytes]:
    """Exit code of ``terraform fmt -list=false FILE`` on a copy of ``data``, and the file afterwards."""
    with tempfile.TemporaryDirectory() as tmp:
        rc_file = Path(tmp, ".terraformrc")
        rc_file.write_text("")
        target = Path(tmp, name)
        target.write_bytes(data)
        env = dict(os.environ, TF_CLI_CONFIG_FILE=str(rc_file), NO_COLOR="1")
        proc = subprocess.run(["terraform", "fmt", "-no-color", "-list=false", name], cwd=tmp, env=env,
                              capture_output=True)
        return proc.returncode, target.read_bytes()


def main() -> None:
    if shutil.which("terraform") is None:
        raise SystemExit("terraform is not installed; nothing recorded")
    version = subprocess.run(["terraform", "version"], capture_output=True, text=True).stdout.splitlines()[0]
    out: dict = {"terraform": version, "files": {}}
    for rel in corpus_files():
        data = (ROOT / rel).read_bytes()
        rc, result = terraform_fmt(data, Path(rel).name)
        out["files"][rel] = {"sha256": hashlib.sha256(data).hexdigest(), "exit": rc,
                             "output": result.decode("utf-8") if rc == 0 else None}
    EXPECTED.write_text(json.dumps(out, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
    print(f"recorded {len(out['files'])} files with {version}")


if __name__ == "__main__":
    main()
