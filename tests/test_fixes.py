"""Fixes: before/after/diff fixtures, refusals, idempotence, encodings, safe writing.

Each case is `fixtures/fixes/**/<CODE>_<case>.py` with the fixed file next to it
(`<CODE>_<case>.fixed.py`) and the diff `--diff` prints (`<CODE>_<case>.diff`). A line
of the fixed file marked `# refused: <words>` must get a "not fixed" note containing
those words, and keeps its finding; no other line may get a note. The cases run in a
copy of `fixtures/fixes/` (a small project whose `src/` holds domain packages).

Regenerate the expected files after changing a fixer, then read the diff:
`FASTAPI_LINT_REGEN=1 python -m pytest tests/test_fixes.py`.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import stat
from pathlib import Path

import pytest

from clirun import run
from harness import FIXTURES
from fastapi_lint import fixes, rules
from fastapi_lint.fixes import writing

FIX_FIXTURES = FIXTURES / "fixes"
CASES = sorted(p for p in FIX_FIXTURES.rglob("FBP[0-9][0-9][0-9]_*.py")
               if not p.name.endswith(".fixed.py"))
REGENERATE = os.environ.get("FASTAPI_LINT_REGEN") == "1"
REFUSED = re.compile(r"#\s*refused:\s*(.+?)\s*$")
NOTE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<code>FBP\d{3}) "
                  r"not fixed: (?P<reason>.+)$")


def code_of(case: Path) -> str:
    return case.name.split("_", 1)[0]


def flags_for(case: Path) -> list[str]:
    code = code_of(case)
    unsafe = ["--unsafe-fixes"] if rules.get(code).fix == "unsafe" else []
    return ["--select", code, "--jobs", "1", *unsafe]


def expected_paths(case: Path) -> tuple[Path, Path]:
    return case.with_name(case.stem + ".fixed.py"), case.with_name(case.stem + ".diff")


@pytest.fixture
def workdir(tmp_path):
    """A copy of the fix fixtures' project, to fix in place."""
    target = tmp_path / "project"
    shutil.copytree(FIX_FIXTURES, target, ignore=shutil.ignore_patterns(
        "*.fixed.py", "*.diff", "__pycache__"))
    return target


def refused_lines(text: str) -> dict[int, str]:
    return {n: m.group(1) for n, line in enumerate(text.splitlines(), 1)
            if (m := REFUSED.search(line))}


def notes(stderr: str) -> dict[int, str]:
    found = {}
    for line in stderr.splitlines():
        match = NOTE.match(line)
        assert match, f"unexpected output on stderr: {line!r}"
        found[int(match.group("line"))] = match.group("reason")
    return found


def findings(relative: str, cwd: Path, code: str) -> list[dict]:
    result = run("check", "--format", "json", "--select", code, relative, cwd=cwd)
    return json.loads(result.out)


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_fix_case(case, workdir):
    relative = str(case.relative_to(FIX_FIXTURES))
    target = workdir / relative
    before = target.read_bytes()
    fixed_path, diff_path = expected_paths(case)

    diff = run("check", "--diff", *flags_for(case), relative, cwd=workdir)
    assert target.read_bytes() == before, "--diff must write nothing"
    assert "Traceback" not in diff.err
    result = run("check", "--fix", *flags_for(case), relative, cwd=workdir)
    after = target.read_text(encoding="utf-8")
    if REGENERATE:
        fixed_path.write_text(after, encoding="utf-8")
        diff_path.write_text(diff.out, encoding="utf-8")
    assert after == fixed_path.read_text(encoding="utf-8")
    assert diff.out == diff_path.read_text(encoding="utf-8")
    assert diff.code == (1 if diff.out else 0)

    # every refusal is announced on its line, and only there
    fix_notes = notes("\n".join(line for line in result.err.splitlines()
                                if " not fixed: " in line))
    expected_refusals = refused_lines(after)
    assert set(fix_notes) == set(expected_refusals), result.err
    for line, words in expected_refusals.items():
        assert words in fix_notes[line], (line, fix_notes[line])

    # the fixed file compiles, and the fixed findings are gone
    compile(after, relative, "exec", dont_inherit=True)
    left = findings(relative, workdir, code_of(case))
    assert sorted(f["line"] for f in left if f["fixable"]) == sorted(expected_refusals)
    assert result.code == (1 if left else 0)

    # fixing twice changes nothing
    again = run("check", "--fix", *flags_for(case), relative, cwd=workdir)
    assert target.read_text(encoding="utf-8") == after
    assert "Fixed 0 findings in 0 files" in again.out
    assert run("check", "--diff", *flags_for(case), relative, cwd=workdir).out == ""


def test_every_fixable_kind_has_a_case():
    kinds = {(code, kind) for code, kind in fixes.FIXERS}
    covered = set()
    for case in CASES:
        text = case.read_text(encoding="utf-8")
        fixed = expected_paths(case)[0].read_text(encoding="utf-8")
        if text != fixed:
            for code, kind in kinds:
                if code_of(case) == code:
                    covered.add((code, kind))
    assert {code for code, _ in kinds} <= {code for code, _ in covered}
    assert all(r.fix in (None, "safe", "unsafe") for r in rules.RULES.values())
    fixable_codes = {code for code, rule in rules.RULES.items() if rule.fix}
    assert fixable_codes == {code for code, _ in kinds}


def test_every_case_has_refusals_somewhere():
    codes_with_refusals = {code_of(c) for c in CASES if refused_lines(
        expected_paths(c)[0].read_text(encoding="utf-8"))}
    assert codes_with_refusals == {code for code, _ in fixes.FIXERS}


# -- encodings, BOM, line endings, final newline ----------------------------------

def _crlf(data: bytes) -> bytes:
    return data.replace(b"\n", b"\r\n")


def _cr(data: bytes) -> bytes:
    """Old Mac line endings: libcst dropped the last one (found by a break session)."""
    return data.replace(b"\n", b"\r")


def _latin1(data: bytes) -> bytes:
    header = b"# -*- coding: latin-1 -*-\n# caf\xe9 cr\xe8me\n"
    return header + data.decode().encode("latin-1")


def _bom(data: bytes) -> bytes:
    return b"\xef\xbb\xbf" + data


def _no_final_newline(data: bytes) -> bytes:
    return data.rstrip(b"\n")


VARIANTS = {"crlf": _crlf, "cr": _cr, "latin1": _latin1, "bom": _bom,
            "no-final-newline": _no_final_newline}
CHANGED_CASES = [c for c in CASES if not expected_paths(c)[0].exists()
                 or c.read_bytes() != expected_paths(c)[0].read_bytes()]


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("case", CHANGED_CASES, ids=lambda p: p.name)
def test_fix_keeps_encoding_bom_and_line_endings(case, variant, workdir):
    transform = VARIANTS[variant]
    relative = str(case.relative_to(FIX_FIXTURES))
    target = workdir / relative
    target.write_bytes(transform(case.read_bytes()))
    run("check", "--fix", *flags_for(case), relative, cwd=workdir)
    expected = transform(expected_paths(case)[0].read_bytes())
    assert target.read_bytes() == expected
    again = run("check", "--fix", *flags_for(case), relative, cwd=workdir)
    assert target.read_bytes() == expected, again.err


def test_fixed_latin1_file_still_decodes_as_latin1(workdir):
    target = workdir / "FBP100_sleep.py"
    target.write_bytes(_latin1(target.read_bytes()))
    run("check", "--fix", "FBP100_sleep.py", cwd=workdir)
    data = target.read_bytes()
    assert b"caf\xe9 cr\xe8me" in data and b"await asyncio.sleep" in data


# -- what --fix and --unsafe-fixes do ---------------------------------------------

def test_unsafe_fixes_need_the_flag(workdir):
    target = workdir / "FBP400_background.py"
    before = target.read_bytes()
    result = run("check", "--fix", "--jobs", "1", "FBP400_background.py", cwd=workdir)
    assert target.read_bytes() == before
    assert result.code == 1
    assert "3 more with `--fix --unsafe-fixes`" not in result.out  # fix mode summary
    assert "Fixed 0 findings in 0 files; 3 findings left." in result.out
    check = run("check", "FBP400_background.py", cwd=workdir)
    assert "(3 more with `--fix --unsafe-fixes`)" in check.out


def test_fix_summary_and_exit_status(workdir):
    result = run("check", "--fix", "--select", "FBP100", "FBP100_def.py", cwd=workdir)
    assert result.out == "Fixed 4 findings in 1 file; 0 findings left.\n"
    assert result.code == 0


def test_fix_in_json_format_reports_what_is_left(workdir):
    result = run("check", "--fix", "--format", "json", "FBP400_import.py", cwd=workdir)
    left = json.loads(result.out)
    assert [f["code"] for f in left] == ["FBP400"]  # 204: no body, no FBP300
    assert "Fixed 0 findings" in result.err


# -- writing safely ---------------------------------------------------------------

def _leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.endswith(".fastapi-lint")]


def test_permissions_are_kept_and_the_file_is_replaced(workdir):
    target = workdir / "FBP100_sleep.py"
    target.chmod(0o751)
    inode = target.stat().st_ino
    run("check", "--fix", "FBP100_sleep.py", cwd=workdir)
    assert "await asyncio.sleep" in target.read_text()
    assert stat.S_IMODE(target.stat().st_mode) == 0o751
    assert target.stat().st_ino != inode  # a new file took its place in one step
    assert _leftovers(workdir) == []


def test_file_changed_between_read_and_write_is_left_alone(workdir, monkeypatch):
    target = workdir / "FBP100_sleep.py"
    real_fix_text = fixes.fix_text

    def meanwhile(*args, **kwargs):
        outcome = real_fix_text(*args, **kwargs)
        target.write_text("# an editor saved this meanwhile\n", encoding="utf-8")
        return outcome

    monkeypatch.setattr(fixes, "fix_text", meanwhile)
    result = run("check", "--fix", "--jobs", "1", "FBP100_sleep.py", cwd=workdir)
    assert target.read_text() == "# an editor saved this meanwhile\n"
    assert "FBP100_sleep.py: not fixed: the file changed since it was read; run again" \
        in result.err
    assert _leftovers(workdir) == []
    assert result.code == 1


def test_unparsable_file_is_reported_and_untouched(workdir):
    target = workdir / "broken.py"
    target.write_bytes(b"import time\nasync def f(:\n    time.sleep(1)\n")
    result = run("check", "--fix", "broken.py", cwd=workdir)
    assert target.read_bytes() == b"import time\nasync def f(:\n    time.sleep(1)\n"
    assert result.err.startswith("broken.py:2:")
    assert "syntax error" in result.err and "Traceback" not in result.err
    assert result.code == 1


def test_read_only_file_is_left_alone(workdir):
    target = workdir / "FBP100_sleep.py"
    before = target.read_bytes()
    target.chmod(0o444)
    try:
        result = run("check", "--fix", "FBP100_sleep.py", cwd=workdir)
    finally:
        target.chmod(0o644)
    assert target.read_bytes() == before
    assert "FBP100_sleep.py: not fixed: the file is read-only" in result.err
    assert result.code == 1


def test_full_disk_leaves_the_original(workdir, monkeypatch):
    target = workdir / "FBP100_sleep.py"
    before = target.read_bytes()

    def no_space(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(writing.os, "fsync", no_space)
    result = run("check", "--fix", "--jobs", "1", "FBP100_sleep.py", cwd=workdir)
    assert target.read_bytes() == before
    assert f"not fixed: cannot write: {os.strerror(errno.ENOSPC)}" in result.err
    assert _leftovers(workdir) == []
    assert "Traceback" not in result.err


def test_no_temporary_file_possible(workdir, monkeypatch):
    target = workdir / "FBP100_sleep.py"
    before = target.read_bytes()

    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(writing.tempfile, "mkstemp", refuse)
    result = run("check", "--fix", "--jobs", "1", "FBP100_sleep.py", cwd=workdir)
    assert target.read_bytes() == before
    assert "not fixed: cannot create a temporary file next to it: Permission denied" \
        in result.err


def test_link_to_a_file_outside_is_not_written_through(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.copy(FIX_FIXTURES / "FBP100_sleep.py", outside / "target.py")
    before = (outside / "target.py").read_bytes()
    project = tmp_path / "project"
    project.mkdir()
    os.symlink(outside / "target.py", project / "link.py")
    for paths in (["."], ["link.py"]):
        result = run("check", "--fix", *paths, cwd=project)
        assert (outside / "target.py").read_bytes() == before
        assert (project / "link.py").is_symlink()
        assert "link.py: not fixed: it is a symbolic link to a file outside the " \
               "paths given" in result.err


def test_link_inside_the_paths_fixes_the_real_file(tmp_path):
    shutil.copy(FIX_FIXTURES / "FBP100_sleep.py", tmp_path / "real.py")
    (tmp_path / "links").mkdir()
    os.symlink(tmp_path / "real.py", tmp_path / "links" / "alias.py")
    run("check", "--fix", "links/alias.py", "real.py", cwd=tmp_path)
    assert (tmp_path / "links" / "alias.py").is_symlink()
    assert "await asyncio.sleep" in (tmp_path / "real.py").read_text()


def test_a_fix_that_would_not_compile_is_dropped(workdir, monkeypatch):
    def broken(text, found):
        return fixes.Attempt(text.replace("async def", "async def def"), [])

    monkeypatch.setitem(fixes.FIXERS, ("FBP100", "sleep"), broken)
    target = workdir / "FBP100_sleep.py"
    before = target.read_bytes()
    result = run("check", "--fix", "--jobs", "1", "FBP100_sleep.py", cwd=workdir)
    assert target.read_bytes() == before
    assert "FBP100 not fixed: the fix would not compile; left alone" in result.err
    assert "Traceback" not in result.err


def test_a_failing_fixer_loses_nothing(workdir, monkeypatch):
    def crash(text, found):
        raise RuntimeError("boom")

    monkeypatch.setitem(fixes.FIXERS, ("FBP100", "sleep"), crash)
    target = workdir / "FBP100_sleep.py"
    before = target.read_bytes()
    result = run("check", "--fix", "--jobs", "1", "FBP100_sleep.py", cwd=workdir)
    assert target.read_bytes() == before
    assert "internal error in the FBP100 fix: RuntimeError: boom" in result.err
    assert "Traceback" not in result.err


def test_replace_file_refuses_what_it_should(tmp_path):
    target = tmp_path / "x.py"
    target.write_bytes(b"old\n")
    with pytest.raises(writing.WriteRefused, match="changed since it was read"):
        writing.replace_file(str(target), b"other\n", b"new\n")
    with pytest.raises(writing.WriteRefused, match="not a regular file"):
        writing.replace_file(str(tmp_path), b"", b"new\n")
    writing.replace_file(str(target), b"old\n", b"new\n")
    assert target.read_bytes() == b"new\n"


def test_a_fixer_failing_on_a_deep_tree_loses_no_other_file(tmp_path):
    """libcst fails on a deep expression with an error whose text recurses as deep as
    the tree; the fix is refused and the run goes on, not stopped as an internal
    error of the whole command."""
    from clirun import run

    (tmp_path / "pyproject.toml").write_text('[project]\nname = "deep"\n')
    (tmp_path / "deep.py").write_text(
        "import time\n\nfrom fastapi import Depends, FastAPI\n\napp = FastAPI()\n\n\n"
        "@app.get('/')\nasync def r(d=Depends(a" + ".b" * 600 + ")):\n"
        "    time.sleep(1)\n    return a" + ".b" * 600 + "\n")
    (tmp_path / "other.py").write_text("import time\n\n\nasync def f():\n"
                                       "    time.sleep(1)\n")
    result = run("check", "-j1", "--no-cache", "--diff", ".", cwd=tmp_path)
    assert "internal error: RecursionError" not in result.err
    assert result.code == 1 and "+++ b/other.py" in result.out


# A fix adds two lines above the fixes it declines (`import asyncio` and a blank).
MOVED = '''\
import time
from fastapi import APIRouter
router = APIRouter()
Y = 0

async def helper():
    time.sleep(0)

@router.get("/b", status_code=200)
async def b() -> dict:
    global Y
    if Y: x = "é"; time.sleep(2)
    return {}
'''


@pytest.mark.parametrize("mode", ["--diff", "--fix"])
def test_declined_fixes_are_noted_where_the_file_on_disk_has_them(mode, tmp_path):
    """`--diff` writes nothing: its notes give the positions in the file as it is, not
    in the fixed text (they were two lines off). `--fix` gives them in the file it
    wrote, with columns in characters of that text (found by a break session)."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\n')
    (tmp_path / "main.py").write_text(MOVED, encoding="utf-8")
    result = run("check", "--no-cache", "--select", "FBP100", mode, "main.py",
                 cwd=tmp_path)
    notes = [line.split(" FBP100 not fixed")[0] for line in result.err.splitlines()
             if " not fixed: " in line]
    after = run("check", "--no-cache", "--select", "FBP100", "main.py", cwd=tmp_path)
    left = [line.split(" FBP100 ")[0] for line in after.out.splitlines()
            if " FBP100 " in line]
    if mode == "--diff":  # nothing written: the fixable call on line 7 stays too
        assert notes == ["main.py:12:20:"] and left == ["main.py:7:5:", *notes]
    else:
        assert notes == left == ["main.py:14:20:"]
