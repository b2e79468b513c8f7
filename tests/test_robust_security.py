"""Linted code is never imported or executed; nothing from it reaches a shell or eval.

A small project whose every module, run or imported, writes a marker file is linted
through flake8 (as the README runs it) and through the engine; no marker may appear.
An audit hook watches the flake8 run for any import or execution of the project's code
and for any process started; a scan of our own source finds no eval, exec or shell.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from fastapi_lint.engine import check_tree
from fastapi_lint.options import Settings
from robust import crashes, flake8, reported

PACKAGE = Path(__file__).resolve().parent.parent / "fastapi_lint"


def payload(markers: Path, name: str) -> str:
    """A statement that, run, leaves the marker `name`."""
    return f"__import__('pathlib').Path({str(markers / name)!r}).write_text('ran')"


def hostile_project(root: Path) -> tuple[Path, Path]:
    project, markers = root / "project", root / "markers"
    markers.mkdir()
    files = {
        "main.py": (
            "{run_main}\n"
            "import time\n"
            "from fastapi import FastAPI, Depends\n"
            "app = FastAPI()\n"
            "@app.get('/', response_model=None)\n"
            "async def f(x: {annotation} = Depends(lambda: {run_default})):\n"
            "    time.sleep(1)\n"
            "if __name__ == '__main__':\n"
            "    {run_dunder_main}\n"
        ),
        "app/__init__.py": "{run_init}\n",
        "app/items/__init__.py": "{run_items}\n",
        "app/items/router.py": (
            "{run_router}\n"
            "import subprocess\n"
            "from fastapi import APIRouter\n"
            "router = APIRouter()\n"
            "@router.post('/x', status_code=201, response_model=None)\n"
            "async def g(cmd: {eval_annotation}):\n"
            "    subprocess.run(cmd, shell=True)\n"
        ),
        "conftest.py": "{run_conftest}\n",
        "setup.py": "{run_setup}\n",
        "__main__.py": "{run_package_main}\n",
        # A pyproject.toml (read as data, never run) naming this project's own code.
        "pyproject.toml": (
            "[tool.fastapi-lint]\n"
            "extra-blocking-calls = ['main.f', 'os.system']\n"
            "extra-safe-wrappers = ['app.items.router.g']\n"
        ),
    }
    fields = {key: payload(markers, key) for key in (
        "run_main", "run_default", "run_dunder_main", "run_init", "run_items",
        "run_router", "run_conftest", "run_setup", "run_package_main")}
    # String annotations, which the engine parses (never evaluates):
    fields["annotation"] = repr(payload(markers, "annotation"))
    fields["eval_annotation"] = repr(f"eval({payload(markers, 'eval'):s})")
    for name, text in files.items():
        path = project / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.format(**fields))
    return project, markers


def test_linted_code_stays_inert_under_flake8(tmp_path):
    project, markers = hostile_project(tmp_path)
    proc = flake8(["."], project, "--jobs", "2")
    assert not crashes(proc.stderr), proc.stderr
    assert sorted((path, line, code) for path, line, _, code in reported(proc.stdout)) \
        == [("./app/items/router.py", 1, "FBP201"),
            ("./app/items/router.py", 7, "FBP100"), ("./main.py", 7, "FBP100")]
    assert list(markers.iterdir()) == []


def test_linted_code_stays_inert_in_the_engine(tmp_path):
    project, markers = hostile_project(tmp_path)
    for path in sorted(project.rglob("*.py")):
        tree = ast.parse(path.read_bytes())
        check_tree(tree, str(path), Settings(extra_blocking_calls=("main.f",)),
                   str(project))
    assert list(markers.iterdir()) == []


WATCHER = '''
import os, sys

PROJECT = os.path.realpath(sys.argv[1]) + os.sep
SPAWNING = ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn",
            "os.fork", "os.forkpty", "pty.spawn", "os.startfile", "ctypes.dlopen")
seen = []


def inside(path):
    return (isinstance(path, str) and os.path.isabs(path)
            and os.path.realpath(path).startswith(PROJECT))


def watch(event, args):
    if event == "exec" and inside(getattr(args[0], "co_filename", None)):
        seen.append(("ran", args[0].co_filename))
    elif event.startswith(SPAWNING):
        seen.append(("spawned", event))


os.chdir(sys.argv[1])
sys.path.insert(0, os.getcwd())  # as `python -m flake8` has it
sys.addaudithook(watch)
from flake8.main.cli import main

status = main(["--select", "FBP", "--jobs", "1", "."])
seen += [("imported", name) for name, module in list(sys.modules.items())
         if inside(getattr(module, "__file__", None))]
sys.stderr.write("seen: %r\\n" % (seen,))
sys.exit(status)
'''


def test_audit_hook_sees_no_import_execution_or_process(tmp_path):
    project, markers = hostile_project(tmp_path)
    (tmp_path / "watch.py").write_text(WATCHER)
    proc = subprocess.run([sys.executable, str(tmp_path / "watch.py"), str(project)],
                          capture_output=True, text=True, timeout=300)
    assert not crashes(proc.stderr), proc.stderr
    assert "seen: []" in proc.stderr, proc.stderr
    assert len(reported(proc.stdout)) == 3
    assert list(markers.iterdir()) == []


def test_watcher_notices_an_import(tmp_path):
    """Guards the audit test: importing a project module is reported by the watcher."""
    project, markers = hostile_project(tmp_path)
    watcher = WATCHER.replace("status = main(", "import conftest\nstatus = main(")
    (tmp_path / "watch.py").write_text(watcher)
    proc = subprocess.run([sys.executable, str(tmp_path / "watch.py"), str(project)],
                          capture_output=True, text=True, timeout=300)
    assert "('imported', 'conftest')" in proc.stderr, proc.stderr
    assert [m.name for m in markers.iterdir()] == ["run_conftest"]


# Calls that would run text as code or start a process, by the name they are made with.
FORBIDDEN = {
    "eval", "exec", "compile", "__import__", "execfile", "system", "popen", "Popen",
    "run", "call", "check_call", "check_output", "getoutput", "getstatusoutput",
    "spawnl", "spawnv", "execv", "execvp", "import_module", "loads", "load_module",
    "literal_eval", "get_type_hints", "startfile",
}
# ...except these, which parse text into a tree or read a file we own.
ALLOWED = {
    ("ast", "parse"),
    ("re", "compile"),
    ("tomllib", "load"),  # pyproject.toml, parsed as data
    ("json", "loads"),  # our own cache entries, parsed as data
    (None, "compile"),  # a fix's output is compiled to check it parses, never run
}


def test_our_source_runs_no_text_as_code():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(
                func, "id", None)
            owner = getattr(func.value, "id", None) if isinstance(
                func, ast.Attribute) else None
            if name in FORBIDDEN and (owner, name) not in ALLOWED:
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {name}")
    assert found == []


def test_source_scan_finds_a_forbidden_call(tmp_path):
    """Guards the scan: it reports eval when it is there."""
    tree = ast.parse("x = eval(text)\n")
    calls = [n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call)]
    assert calls == ["eval"] and "eval" in FORBIDDEN


def test_linted_text_cannot_forge_report_lines(tmp_path):
    """A route path is quoted in messages; a newline in it must not start a line of
    flake8's output that looks like another finding."""
    forged = "\\nforged.py:1:1: E999 SyntaxError: fake\\n" + "x" * 10_000
    (tmp_path / "r.py").write_text(
        "from fastapi import APIRouter\nrouter = APIRouter()\n"
        f"@router.post('{forged}')\ndef f():\n    pass\n"
        "@router.post('\\r\\x00\\u2028')\ndef g():\n    pass\n")
    proc = flake8(["r.py"], tmp_path)
    assert not crashes(proc.stderr), proc.stderr
    assert [(path, line, code) for path, line, _, code in reported(proc.stdout)] == [
        ("r.py", 3, "FBP300"), ("r.py", 3, "FBP301"),
        ("r.py", 6, "FBP300"), ("r.py", 6, "FBP301")]
    assert "`POST \\nforged.py:1:1: E999 SyntaxError: fake\\nxxx" in proc.stdout
    assert "`POST \\r\\x00\\u2028`" in proc.stdout
    assert max(len(line) for line in proc.stdout.splitlines()) < 600
