import os
import stat
from pathlib import Path

import pytest

from deploy_advisor.errors import InputError
from deploy_advisor.files import write_atomic, write_atomic_with


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_file_gets_the_usual_mode_under_the_umask(tmp_path: Path) -> None:
    target = tmp_path / "spec.yaml"
    write_atomic(target, "name: x\n")
    umask = os.umask(0)
    os.umask(umask)
    assert target.read_text() == "name: x\n"
    assert _mode(target) == 0o666 & ~umask
    write_atomic(tmp_path / "run.sh", b"#!/bin/sh\n", executable=True)
    assert _mode(tmp_path / "run.sh") == 0o777 & ~umask
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_replaced_file_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    target.write_text("old")
    target.chmod(0o640)
    write_atomic(target, "new")
    assert (target.read_text(), _mode(target)) == ("new", 0o640)


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "model.joblib"
    target.write_text("old")

    def half_then_fail(tmp: Path) -> None:
        tmp.write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_atomic_with(target, half_then_fail)
    assert [p.name for p in tmp_path.iterdir()] == ["model.joblib"]
    assert target.read_text() == "old"


def test_a_directory_or_a_missing_parent_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    with pytest.raises(InputError, match=r"'.*/out' is a directory; pass a file name"):
        write_atomic(tmp_path / "out", "x")
    with pytest.raises(InputError, match=r"directory '.*/nope' does not exist; create it"):
        write_atomic(tmp_path / "nope" / "x.yaml", "x")
