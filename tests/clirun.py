"""Running the `fastapi-lint` command in tests, in this process or as a real program."""

from __future__ import annotations

import dataclasses
import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Union

from fastapi_lint import cli


@dataclasses.dataclass
class Result:
    code: int
    out: str
    err: str


def run(*args: str, cwd: Union[str, Path, None] = None) -> Result:
    """Run `fastapi-lint ARGS` in this process (from `cwd`) and capture what it says."""
    out, err = io.StringIO(), io.StringIO()
    previous = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        code = cli.main(list(args), out=out, err=err)
    finally:
        os.chdir(previous)
    return Result(code, out.getvalue(), err.getvalue())


def program(*args: str, cwd: Union[str, Path, None] = None) -> Result:
    """Run the installed `fastapi-lint` program, as a user would."""
    script = Path(sys.executable).with_name("fastapi-lint")
    command = [str(script)]
    if not script.exists():
        command = [sys.executable, "-m", "fastapi_lint.cli"]
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.run([*command, *args], cwd=cwd, capture_output=True, text=True,
                          encoding="utf-8", timeout=600, env=env)
    return Result(proc.returncode, proc.stdout, proc.stderr)
