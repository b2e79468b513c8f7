"""Encodings and bytes: flake8's own report (E902/E999) or a finding, never a traceback.

The plugin works on the tree flake8 built from the lines it read; a test watches every
file opened during a run and shows our code never opens the file being linted.
"""

from __future__ import annotations

import ast
import os
import sys
from pathlib import Path

import pytest

from robust import crashes, flake8, reported

# A route whose blocking call is on line 7, column 5 (line 8 with a coding line above).
ROUTE = (
    "import time\n"
    "from fastapi import FastAPI\n"
    "app = FastAPI(title='caf\u00e9')\n"
    "\n"
    "@app.get('/caf\u00e9', response_model=None)\n"
    "async def f():\n"
    "    time.sleep(1)\n"
)
FOUND = [(7, 5, "FBP100")]
FOUND_BELOW_COOKIE = [(8, 5, "FBP100")]
SYNTAX_ERROR = [(1, 1, "E999")]

# Like the bug report behind shared case BR-26: text outside ASCII everywhere, in UTF-8
# and in a latin-1 variant declared by its coding line.
CYRILLIC = (
    "# -*- coding: utf-8 -*-\n"
    '"""\u041c\u0430\u0440\u0448\u0440\u0443\u0442\u044b: \u00ab\u0442\u043e\u0432'
    '\u0430\u0440\u044b\u00bb \u2713"""\n'
    "import time\n"
    "from fastapi import FastAPI\n"
    "app = FastAPI(title='\u041a\u0430\u0442\u0430\u043b\u043e\u0433 \u2615')\n"
    "@app.get('/\u0442\u043e\u0432\u0430\u0440\u044b', status_code=200)\n"
    "async def \u0442\u043e\u0432\u0430\u0440\u044b() -> dict:\n"
    "    time.sleep(0.1)\n"
    "    return {'\u0441\u043e\u043e\u0431\u0449\u0435\u043d\u0438\u0435': '\u2713'}\n"
)
LATIN1 = (
    "# -*- coding: latin-1 -*-\n"
    '"""Caf\u00e9 \u00e0 la cr\u00e8me, \u00bfqu\u00e9? \u00c6\u00d8\u00c5 \u00df"""\n'
    "import time\n"
    "from fastapi import FastAPI\n"
    "app = FastAPI(title='Cr\u00e8me br\u00fbl\u00e9e')\n"
    "@app.get('/caf\u00e9', status_code=200)\n"
    "async def caf\u00e9() -> dict:\n"
    "    time.sleep(0.1)\n"
    "    return {'r\u00e9sultat': '\u00a7'}\n"
)

CASES: dict[str, tuple[bytes, list[tuple[int, int, str]]]] = {
    "utf8_bom.py": (b"\xef\xbb\xbf" + ROUTE.encode(), FOUND),
    "cyrillic_utf8.py": (CYRILLIC.encode("utf-8"), [(8, 5, "FBP100")]),
    "latin1_cookie.py": (LATIN1.encode("latin-1"), [(8, 5, "FBP100")]),
    # flake8 falls back to latin-1 when the bytes are not UTF-8, and lints the file.
    "invalid_utf8.py": (ROUTE.encode() + b"x = '\xff\xfe\xc3'\n", FOUND),
    "invalid_utf8_cookie.py": (b"# coding: utf-8\n" + ROUTE.encode() + b"y = '\xff'\n",
                               FOUND_BELOW_COOKIE),
    "unknown_cookie.py": (b"# coding: no-such-codec\n" + ROUTE.encode(),
                          FOUND_BELOW_COOKIE),
    "crlf.py": (ROUTE.replace("\n", "\r\n").encode(), FOUND),
    "lone_cr.py": (ROUTE.replace("\n", "\r").encode(), FOUND),
    "mixed_endings.py": (
        ROUTE.replace("\n", "\r\n", 3).replace("\n\n", "\n\r").encode(), FOUND),
    "no_final_newline.py": (ROUTE.rstrip("\n").encode(), FOUND),
    "form_feeds.py": (("\x0c" + ROUTE.replace("@app", "\x0c@app")
                       .replace("sleep(1)", "sleep(\x0c1)")).encode(), FOUND),
    # A form feed inside indentation is an error for Python itself.
    "form_feed_indent.py": (ROUTE.replace("    time", "    \x0ctime").encode(),
                            SYNTAX_ERROR),
    "nul_byte.py": (ROUTE.encode() + b"x = 1\x00\n", SYNTAX_ERROR),
    "nul_only.py": (b"\x00" * 64, SYNTAX_ERROR),
    "binary.py": (bytes(range(256)) * 64, SYNTAX_ERROR),
    "png_named_py.py": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200),
                        SYNTAX_ERROR),
    "utf16.py": (ROUTE.encode("utf-16"), SYNTAX_ERROR),
    "empty.py": (b"", []),
    "bom_only.py": (b"\xef\xbb\xbf", []),
    "whitespace_only.py": (b" \t\n\x0c\n\r\n   ", []),
    "surrogate_escape.py": (b"x = '\xed\xa0\x80'\n" + ROUTE.encode(),
                            [(8, 5, "FBP100")]),
}


def _nul_bytes_crash_flake8() -> bool:
    """Whether this Python's parser raises ValueError on a NUL byte.

    Older Pythons do (3.9 does, 3.11.7 does not), and flake8 then fails on the file
    before any plugin runs (flake8 issues 1682 and 1822); newer ones raise SyntaxError,
    which flake8 reports as E999."""
    try:
        ast.parse("x = 1\x00\n")
    except SyntaxError:
        return False
    except ValueError:
        return True
    return False


NUL_CRASHES_FLAKE8 = _nul_bytes_crash_flake8()


def flake8_can_read(name: str) -> bool:
    return not (NUL_CRASHES_FLAKE8 and b"\x00" in CASES[name][0])


def write_cases(folder: Path) -> list[str]:
    names = [name for name in sorted(CASES) if flake8_can_read(name)]
    for name in names:
        (folder / name).write_bytes(CASES[name][0])
    return names


def by_file(stdout: str) -> dict[str, list[tuple[int, int, str]]]:
    found: dict[str, list[tuple[int, int, str]]] = {name: [] for name in CASES}
    for path, line, col, code in reported(stdout):
        found[os.path.basename(path)].append((line, col, code))
    return found


@pytest.mark.parametrize("environment", [
    {},
    # A C locale without UTF-8 mode, as shared case BR-26 asks.
    {"LANG": "C", "LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONIOENCODING": ""},
], ids=["default", "C-locale"])
def test_encodings_and_bytes(tmp_path, environment):
    names = write_cases(tmp_path)
    proc = flake8(names, tmp_path, "--jobs", "1", env=environment)
    assert not crashes(proc.stderr), proc.stderr[-3000:]
    assert proc.returncode == 1
    found = by_file(proc.stdout)
    for name in names:
        expected, got = CASES[name][1], found[name]
        if expected == SYNTAX_ERROR:
            # flake8's own report of a file Python cannot read, and nothing of ours.
            assert [code for _, _, code in got] == ["E999"], (name, got)
        else:
            assert got == expected, (name, got)


def test_messages_outside_ascii_in_a_c_locale(tmp_path):
    (tmp_path / "r.py").write_bytes(CYRILLIC.encode())
    c_locale = {"LANG": "C", "LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONIOENCODING": ""}
    proc = flake8(["r.py"], tmp_path, env=c_locale)
    assert not crashes(proc.stderr), proc.stderr
    assert "\u0442\u043e\u0432\u0430\u0440\u044b" in proc.stdout  # the function's name


WATCHER = '''
import os, sys

TARGET = os.path.realpath(sys.argv[1])
OURS = os.sep + "fastapi_lint" + os.sep
opened, by_us = [], []


def watch(event, args):
    if event != "open" or not args or not isinstance(args[0], (str, bytes)):
        return
    if os.path.realpath(os.fsdecode(args[0])) != TARGET:
        return
    opened.append(event)
    frame = sys._getframe(1)
    while frame is not None:
        if OURS in frame.f_code.co_filename:
            by_us.append(frame.f_code.co_filename + ":" + str(frame.f_lineno))
        frame = frame.f_back


sys.addaudithook(watch)
from flake8.main.cli import main

status = main(["--select", "FBP", "--jobs", "1", sys.argv[1]])
sys.stderr.write("opened %d times; by fastapi_lint: %r\\n" % (len(opened), by_us))
sys.exit(status)
'''


@pytest.mark.parametrize("name", ["utf8_bom.py", "latin1_cookie.py", "crlf.py"])
def test_plugin_never_opens_the_linted_file(tmp_path, name):
    """Every open of the linted file during a flake8 run, with who opened it: flake8
    does, our code never does."""
    import subprocess

    (tmp_path / name).write_bytes(CASES[name][0])
    (tmp_path / "watch.py").write_text(WATCHER)
    proc = subprocess.run([sys.executable, "watch.py", name], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert not crashes(proc.stderr), proc.stderr
    assert "by fastapi_lint: []" in proc.stderr, proc.stderr
    assert "opened 0 times" not in proc.stderr  # the watch saw flake8 read it
    assert [code for _, _, _, code in reported(proc.stdout)] == ["FBP100"]


# Not "invalid_utf8.py", "binary.py" or "utf16.py": flake8 7 itself fails on bytes that
# are not UTF-8 on standard input (its stdin reader decodes them strictly), before any
# plugin runs.
@pytest.mark.parametrize("name", ["utf8_bom.py", "latin1_cookie.py", "lone_cr.py",
                                  "crlf.py", "nul_byte.py", "empty.py"])
def test_stdin_same_as_file(tmp_path, name):
    """`flake8 -` reads the bytes from standard input: the same report as the file."""
    import subprocess

    if not flake8_can_read(name):
        pytest.skip("this Python's parser raises ValueError on NUL bytes, and flake8 "
                    "fails on it before any plugin runs")
    data, expected = CASES[name]
    command = [sys.executable, "-m", "flake8", "--select", "FBP,E9",
               "--stdin-display-name", name, "-"]
    proc = subprocess.run(command, cwd=tmp_path, input=data, capture_output=True,
                          timeout=300)
    stderr = proc.stderr.decode("utf-8", "replace")
    assert not crashes(stderr), stderr
    got = [(line, col, code) for _, line, col, code in reported(
        proc.stdout.decode("utf-8", "replace"))]
    if expected == SYNTAX_ERROR:
        assert [code for _, _, code in got] == ["E999"]
    else:
        assert got == expected
