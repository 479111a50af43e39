"""Any current Python: the project takes 3.11 to 3.13, and the Makefile picks the newest that
runs here (a pyenv shim for a version not selected is found but does not run)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[2]


def test_requires_python_takes_3_11_to_3_13():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    allowed = SpecifierSet(project["requires-python"])
    assert [v for v in ("3.10", "3.11.0", "3.12.1", "3.13.0", "3.14.0") if v in allowed] == [
        "3.11.0", "3.12.1", "3.13.0"]


def _python_chosen(tmp_path: Path, runs: dict[str, bool], **make_vars: str) -> str:
    """The venv command `make install` would run, with only these pythons on the PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, works in runs.items():
        script = bin_dir / name
        script.write_text("#!/bin/sh\nexit 0\n" if works else "#!/bin/sh\nexit 127\n")
        script.chmod(0o755)
    for tool in ("sh", "sha1sum", "cut", "cat", "test"):
        found = shutil.which(tool)
        if found:
            (bin_dir / tool).symlink_to(found)
    venv = tmp_path / "venv"
    make = shutil.which("make")
    # Not the variables of a make this test may run under (`make test PYTHON=...` in .ci/run):
    # make passes them on to every make below it through MAKEFLAGS.
    env = {name: value for name, value in os.environ.items()
           if name not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "PYTHON", "VENV")}
    out = subprocess.run(
        [make, "-n", "install", f"VENV={venv}", *(f"{k}={v}" for k, v in make_vars.items())],
        cwd=ROOT, env={**env, "PATH": str(bin_dir)}, capture_output=True, text=True,
        check=True).stdout
    [line] = [line for line in out.splitlines() if "-m venv" in line]
    return line.split("||")[-1].split()[0]


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_the_makefile_picks_the_newest_python_that_runs(tmp_path):
    assert _python_chosen(tmp_path, {"python3.13": False, "python3.12": True,
                                     "python3.11": True}) == "python3.12"


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_the_makefile_takes_the_python_it_is_given(tmp_path):
    assert _python_chosen(tmp_path, {"python3.13": True, "python3.11": True},
                          PYTHON="python3.11") == "python3.11"
