"""Helpers for tests that run a scaffold's README commands and scripts as written."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

NAME_PREFIX = os.environ.get("DEPLOY_ADVISOR_NAME_PREFIX", "da")


def readme_block(scaffold_dir: Path, section: str) -> str:
    """The shell code block under `## <section>` of the scaffold's README."""
    text = (scaffold_dir / "README.md").read_text()
    match = re.search(rf"^## {re.escape(section)}\n\n```sh\n(.*?)\n```", text, re.M | re.S)
    assert match, f"README.md has no ```sh block under ## {section}"
    return match.group(1)


def fake_tool(bin_dir: Path, name: str, body: str) -> Path:
    """An executable bash script `bin_dir/name` standing in for a tool this machine cannot run."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    path = bin_dir / name
    path.write_text("#!/usr/bin/env bash\nset -euo pipefail\n" + body.strip() + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def fake_date(bin_dir: Path) -> Path:
    """`date` that prints $FAKE_DATE for `+%F` and otherwise defers to the real one."""
    return fake_tool(
        bin_dir, "date",
        """
for arg in "$@"; do
  if [[ "$arg" == "+%F" && -n "${FAKE_DATE:-}" ]]; then echo "$FAKE_DATE"; exit 0; fi
done
exec /bin/date "$@"
""",
    )  # fmt: skip
