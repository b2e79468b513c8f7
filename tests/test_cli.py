"""The `fastapi-lint` command: findings, formats, exit codes, selection, bad input."""

from __future__ import annotations

import logging
import builtins
import codecs
import dataclasses
import io
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import sarif_check
from clirun import program, run
from conftest import PROJECTS, RULE_FIXTURES
from harness import FIXTURES, describe, expected_findings, flake8_args
from fastapi_lint import cli, options, rules, selection, source

SLEEPY = textwrap.dedent('''\
    import time


    async def nap():
        time.sleep(1)
''')
ROUTES = textwrap.dedent('''\
    from fastapi import APIRouter

    router = APIRouter()


    @router.post("/items")
    def create(): ...
''')


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def triples(result) -> dict[str, set[tuple[int, int, str]]]:
    found: dict[str, set] = {}
    for item in json.loads(result.out):
        found.setdefault(item["path"], set()).add(
            (item["line"], item["column"], item["code"]))
    return found


# -- one engine: the command reports what flake8 reports --------------------------

def _cli_args(path: Path) -> list[str]:
    """A fixture's `# flake8-args:` as the command's own flags (same option table)."""
    return [arg.replace("--fastapi-", "--", 1) for arg in flake8_args(path)]


@pytest.mark.parametrize("path", RULE_FIXTURES, ids=lambda p: p.name)
def test_rule_fixture_markers_hold_for_the_command(path):
    result = run("check", "--format", "json", "--jobs", "1", *_cli_args(path),
                 path.name, cwd=path.parent)
    assert result.code in (0, 1), result.err
    assert "Traceback" not in result.err
    expected = expected_findings(path)
    got = triples(result).get(path.name, set())
    assert got == expected, describe(expected, got)


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_project_markers_hold_for_the_command(project):
    result = run("check", "--format", "json", "--jobs", "1", cwd=project)
    assert result.code in (0, 1) and "Traceback" not in result.err, result.err
    got = triples(result)
    files = sorted(project.rglob("*.py"))
    assert files
    for path in files:
        relative = str(path.relative_to(project))
        expected = expected_findings(path)
        assert got.get(relative, set()) == expected, \
            f"{relative}:\n{describe(expected, got.get(relative, set()))}"


# -- formats ----------------------------------------------------------------------

@pytest.fixture
def project(tmp_path):
    """A project with one finding of FBP100 and two (FBP300, FBP301) on one route."""
    write(tmp_path / "pyproject.toml", "[tool.fastapi-lint]\n")
    write(tmp_path / "app" / "tasks.py", SLEEPY)
    write(tmp_path / "app" / "routes.py", ROUTES)
    return tmp_path


def test_text_format(project):
    result = run("check", "--jobs", "1", cwd=project)
    lines = result.out.splitlines()
    assert lines[:3] == [
        "app/routes.py:6:2: FBP300 route `POST /items` declares no response model: "
        "add a return annotation or `response_model=`",
        "app/routes.py:6:2: FBP301 route `POST /items` has no explicit `status_code`: "
        "add `status_code=status.HTTP_201_CREATED`",
        "app/tasks.py:5:5: FBP100 blocking call `time.sleep()` in `async def nap`: use "
        "`await asyncio.sleep(...)`",
    ]
    assert lines[3] == "Found 3 findings (1 fixable with `--fix`) in 2 of 2 files."
    assert len(lines) == 4
    assert result.code == 1 and result.err == ""


def test_json_format_field_by_field(project):
    result = run("check", "--format", "json", "--jobs", "1", "app/tasks.py",
                 cwd=project)
    assert result.code == 1
    assert json.loads(result.out) == [{
        "path": "app/tasks.py",
        "line": 5,
        "column": 5,
        "end_line": 5,
        "end_column": 18,
        "code": "FBP100",
        "message": "blocking call `time.sleep()` in `async def nap`: use "
                   "`await asyncio.sleep(...)`",
        "fixable": True,
    }]


def test_json_of_a_clean_run_is_an_empty_list(tmp_path):
    write(tmp_path / "clean.py", "x = 1\n")
    result = run("check", "--format", "json", cwd=tmp_path)
    assert (result.code, json.loads(result.out)) == (0, [])


def test_json_finding_without_end_position(tmp_path):
    write(tmp_path / "pyproject.toml", "[tool.fastapi-lint]\napp-root = 'src'\n")
    write(tmp_path / "src" / "orders" / "router.py", "from fastapi import APIRouter\n")
    result = run("check", "--format", "json", "--select", "FBP201", cwd=tmp_path)
    [item] = json.loads(result.out)
    assert (item["code"], item["line"], item["column"]) == ("FBP201", 1, 1)
    assert item["end_line"] is None and item["end_column"] is None
    assert item["fixable"] is False


def test_github_format(project):
    result = run("check", "--format", "github", "--jobs", "1", cwd=project)
    assert result.out.splitlines() == [
        "::warning file=app/routes.py,line=6,col=2,title=FBP300::route `POST /items` "
        "declares no response model: add a return annotation or `response_model=`",
        "::warning file=app/routes.py,line=6,col=2,title=FBP301::route `POST /items` "
        "has no explicit `status_code`: add `status_code=status.HTTP_201_CREATED`",
        "::warning file=app/tasks.py,line=5,col=5,title=FBP100::blocking call "
        "`time.sleep()` in `async def nap`: use `await asyncio.sleep(...)`",
    ]


def test_github_format_escapes_properties(tmp_path):
    write(tmp_path / "a,b:c.py", SLEEPY)
    result = run("check", "--format", "github", cwd=tmp_path)
    assert result.out.startswith(
        "::warning file=a%2Cb%3Ac.py,line=5,col=5,title=FBP100::")


def test_sarif_format(project):
    result = run("check", "--format", "sarif", "--jobs", "1", cwd=project / "app")
    log = json.loads(result.out)
    assert sarif_check.problems(log) == []
    [run_] = log["runs"]
    driver = run_["tool"]["driver"]
    assert driver["name"] == "fastapi-lint"
    assert [r["id"] for r in driver["rules"]] == list(rules.RULES)
    for descriptor in driver["rules"]:
        rule = rules.get(descriptor["id"])
        assert descriptor["name"] == rule.name
        assert descriptor["shortDescription"]["text"] == rule.summary
        assert descriptor["fullDescription"]["text"]
        assert descriptor["help"]["text"] and descriptor["help"]["markdown"]
    full = driver["rules"][0]["fullDescription"]["text"]
    # FBP100's "What it does"
    assert full.startswith("Finds calls that block the thread")
    assert driver["rules"][0]["help"]["text"] == rules.get("FBP100").doc
    assert run_["columnKind"] == "unicodeCodePoints"
    assert run_["originalUriBaseIds"]["%SRCROOT%"]["uri"] == project.as_uri() + "/"
    results = run_["results"]
    assert [(r["ruleId"], r["ruleIndex"]) for r in results] == [
        ("FBP300", 3), ("FBP301", 4), ("FBP100", 0)]
    last = results[2]
    assert last["level"] == "warning"
    assert last["message"]["text"].startswith("blocking call `time.sleep()`")
    location = last["locations"][0]["physicalLocation"]
    # relative to the project root (the pyproject.toml's folder), not to the cwd
    assert location["artifactLocation"] == {"uri": "app/tasks.py",
                                            "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 5, "startColumn": 5, "endLine": 5,
                                  "endColumn": 18}
    assert run_["invocations"] == [{"executionSuccessful": True,
                                    "toolExecutionNotifications": []}]


def test_sarif_reports_files_it_could_not_check(tmp_path):
    write(tmp_path / "pyproject.toml", "")
    write(tmp_path / "broken.py", "def (:\n")
    log = json.loads(run("check", "--format", "sarif", cwd=tmp_path).out)
    assert sarif_check.problems(log) == []
    [note] = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert note["level"] == "error" and "syntax error" in note["message"]["text"]
    location = note["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "broken.py"
    assert location["region"]["startLine"] == 1


def test_sarif_escapes_paths_and_handles_files_outside_the_root(tmp_path):
    write(tmp_path / "root" / "pyproject.toml", "")
    write(tmp_path / "root" / "my app" / "x.py", SLEEPY)
    outside = write(tmp_path / "elsewhere" / "y.py", SLEEPY)
    result = run("check", "--format", "sarif", ".", str(outside), cwd=tmp_path / "root")
    log = json.loads(result.out)
    assert sarif_check.problems(log) == []
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]
            for r in log["runs"][0]["results"]]
    assert {"uri": "my%20app/x.py", "uriBaseId": "%SRCROOT%"} in uris
    assert {"uri": outside.as_uri()} in uris


def test_the_sarif_check_catches_broken_logs(project):
    """The structural check is not vacuous: each breakage is named."""
    log = json.loads(run("check", "--format", "sarif", cwd=project).out)
    broken = json.loads(json.dumps(log))
    del broken["runs"][0]["tool"]["driver"]["name"]
    broken["runs"][0]["results"][0]["ruleIndex"] = 1
    broken["runs"][0]["results"][1]["message"] = {}
    broken["runs"][0]["results"][2]["locations"][0]["physicalLocation"]["region"] = {
        "startLine": 0}
    del broken["runs"][0]["tool"]["driver"]["rules"][5]["help"]
    found = "\n".join(sarif_check.problems(broken))
    for expected in ("driver.name", "ruleIndex names", "message needs",
                     "startLine must", "rules[5].help"):
        assert expected in found
    assert sarif_check.problems({"version": "2.0.0", "runs": []})


def test_statistics(project):
    result = run("check", "--statistics", "--jobs", "1", cwd=project)
    assert "1      FBP100 blocking-call-in-async (1 fixable)\n" \
           "1      FBP300 route-without-response-model\n" \
           "1      FBP301 route-without-status-code\n" in result.out


def test_statistics_keep_machine_output_clean(project):
    result = run("check", "--statistics", "--format", "json", cwd=project)
    assert len(json.loads(result.out)) == 3
    assert "FBP100 blocking-call-in-async" in result.err


def test_columns_count_characters_not_bytes(tmp_path):
    write(tmp_path / "u.py",
          'import time\n\n\nasync def f():\n    x = "é"; time.sleep(1)\n')
    [item] = json.loads(run("check", "--format", "json", cwd=tmp_path).out)
    assert (item["column"], item["end_column"]) == (14, 27)


# -- exit codes -------------------------------------------------------------------

def test_exit_codes(project, tmp_path):
    clean = write(tmp_path / "clean" / "ok.py", "x = 1\n").parent
    assert run("check", str(clean)).code == 0
    assert run("check", cwd=project).code == 1
    assert run("check", "--exit-zero", cwd=project).code == 0
    assert run("check", "--format", "yaml", cwd=project).code == 2
    assert run("check", "--jobs", "0", cwd=project).code == 2
    assert run("frobnicate").code == 2
    assert run().code == 2


def test_clean_summary(tmp_path):
    write(tmp_path / "ok.py", "x = 1\n")
    result = run("check", cwd=tmp_path)
    assert (result.code, result.out) == (0, "No findings in 1 file.\n")


def test_missing_path_is_a_usage_error(tmp_path):
    result = run("check", "nowhere.py", cwd=tmp_path)
    assert result.code == 2
    assert result.err == "fastapi-lint: no such file or folder: nowhere.py\n"
    assert result.out == ""


class _Refusing:
    """An output that takes `allowed` characters, then fails as a full disk or a file
    size limit does, or as a closed pipe."""

    def __init__(self, allowed: int, error: OSError) -> None:
        self.allowed, self.error, self.text = allowed, error, ""

    def write(self, text: str) -> int:
        if len(self.text) + len(text) > self.allowed:
            raise self.error
        self.text += text
        return len(text)

    def flush(self) -> None:
        pass


@pytest.mark.parametrize("form", ["text", "json", "sarif", "github"])
def test_a_report_that_cannot_be_written_is_said_so(project, form, monkeypatch):
    monkeypatch.chdir(project)
    out, err = _Refusing(40, OSError(27, "File too large")), io.StringIO()
    assert cli.main(["check", "--format", form], out=out, err=err) == 2
    assert err.getvalue() == ("fastapi-lint: cannot write the report: "
                              "[Errno 27] File too large\n")
    # A closed pipe (`| head`) is no error: the findings' exit status stands.
    out, err = _Refusing(40, BrokenPipeError(32, "Broken pipe")), io.StringIO()
    assert cli.main(["check", "--format", form], out=out, err=err) == 1
    assert err.getvalue() == ""


def test_the_installed_program_says_when_its_report_cannot_be_written(project,
                                                                      tmp_path):
    prlimit = shutil.which("prlimit")
    if prlimit is None:
        pytest.skip("no prlimit here")
    script = Path(sys.executable).with_name("fastapi-lint")
    command = [str(script)] if script.exists() else [sys.executable, "-m",
                                                      "fastapi_lint.cli"]
    target = tmp_path / "report.txt"
    with open(target, "w") as report:
        done = subprocess.run([prlimit, "--fsize=40", *command, "check", "."],
                              cwd=project, stdout=report, stderr=subprocess.PIPE,
                              text=True, timeout=600)
    assert done.returncode == 2
    assert done.stderr == ("fastapi-lint: cannot write the report: "
                           "[Errno 27] File too large\n")
    assert target.stat().st_size == 40


def test_the_installed_program(project):
    result = program("check", "--format", "json", cwd=project)
    assert result.code == 1 and len(json.loads(result.out)) == 3, result.err
    assert program("--version").out.strip().startswith("fastapi-lint ")


# -- selection --------------------------------------------------------------------

@pytest.mark.parametrize("flags,codes", [
    ([], {"FBP100", "FBP300", "FBP301"}),
    (["--select", "FBP3"], {"FBP300", "FBP301"}),
    (["--select", "FBP301,FBP100"], {"FBP100", "FBP301"}),
    (["--ignore", "FBP3"], {"FBP100"}),
    (["--select", "FBP", "--ignore", "FBP30"], {"FBP100"}),
    (["--select", "FBP301", "--ignore", "FBP3"], {"FBP301"}),  # the longer entry wins
    (["--select", "FBP3", "--ignore", "FBP3"], set()),  # a tie ignores
    (["--ignore", "FBP", "--extend-select", "FBP100"], {"FBP100"}),
])
def test_select_and_ignore_on_the_command_line(project, flags, codes):
    result = run("check", "--format", "json", *flags, cwd=project)
    assert {item["code"] for item in json.loads(result.out)} == codes


def test_selection_in_pyproject_and_command_line_layers(project):
    write(project / "pyproject.toml",
          '[tool.fastapi-lint]\nselect = ["FBP3"]\nignore = ["FBP300"]\n')

    def found(*flags):
        result = run("check", "--format", "json", *flags, cwd=project)
        return {item["code"] for item in json.loads(result.out)}
    assert found() == {"FBP301"}
    assert found("--extend-select", "FBP100") == {"FBP100", "FBP301"}
    assert found("--select", "FBP") == {"FBP100", "FBP300", "FBP301"}
    assert found("--ignore", "FBP301") == set()


def test_rules_off_by_default_need_selecting(monkeypatch):
    registry = dict(rules.RULES)
    registry["FBP301"] = dataclasses.replace(registry["FBP301"], default=False)
    monkeypatch.setattr(rules, "RULES", registry)
    on = {code for code, rule in registry.items() if rule.default}
    assert "FBP301" not in on
    assert selection.selected_codes([]) == on
    assert selection.selected_codes([(None, (), ())]) == on
    assert "FBP301" not in selection.selected_codes([(None, ("FBP1",), ())])
    assert "FBP301" in selection.selected_codes([(None, ("FBP301",), ())])
    # a prefix selects the rules on by default, never an opinionated one
    assert "FBP301" not in selection.selected_codes([(("FBP3",), (), ())])
    assert "FBP301" not in selection.selected_codes([(("FBP",), (), ())])
    assert "FBP301" in selection.selected_codes([(("FBP3", "FBP301"), (), ())])
    assert selection.selected_codes(
        [(("FBP301",), (), ()), (None, (), ("FBP301",))]) == set()


def test_bad_selectors_are_usage_errors(project):
    result = run("check", "--select", "FBP9", cwd=project)
    assert result.code == 2 and "`FBP9` matches no rule" in result.err
    result = run("check", "--ignore", "fbp100", cwd=project)
    assert result.code == 2 and "is not a code or code prefix" in result.err


# -- configuration ----------------------------------------------------------------

def test_bad_pyproject_is_a_configuration_error(project):
    write(project / "pyproject.toml",
          '[tool.fastapi-lint]\nrouter_names = ["app"]\nrequired-modules = "x"\n'
          'type-checking-imports = 3\nselect = ["XYZ1"]\n')
    result = run("check", cwd=project)
    assert result.code == 2 and result.out == ""
    assert "Traceback" not in result.err
    assert "unknown key `router_names` (did you mean `router-names`?)" in result.err
    assert "`type-checking-imports` must be true or false" in result.err
    assert str(project / "pyproject.toml") in result.err


def test_bad_selector_in_pyproject(project):
    write(project / "pyproject.toml", '[tool.fastapi-lint]\nignore = ["XYZ1"]\n')
    result = run("check", cwd=project)
    assert result.code == 2 and "`XYZ1` matches no rule" in result.err


def test_unreadable_toml(project):
    write(project / "pyproject.toml", "[tool.fastapi-lint\n")
    result = run("check", cwd=project)
    assert result.code == 2 and "not valid TOML" in result.err


def test_bad_flag_value(project):
    result = run("check", "--status-code-methods", "POST,FETCH", cwd=project)
    assert result.code == 2
    assert "`status-code-methods` has unknown HTTP methods: FETCH" in result.err


def test_option_flags_come_from_the_option_table():
    parser = cli.build_parser()
    check = parser._subparsers._group_actions[0].choices["check"]
    flags = {flag for action in check._actions for flag in action.option_strings}
    for option in options.OPTIONS:
        assert f"--{option.key}" in flags
    assert "--no-cache" in flags and "--no-type-checking-imports" in flags


def test_no_cache_sets_the_setting(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    def settings(*argv):
        args = cli.build_parser().parse_args(["check", *argv])
        configuration = cli.Configuration(cli.command_line_values(args))
        return configuration.settings(str(tmp_path))[0]

    assert settings("--no-cache").cache is False
    assert settings("--cache").cache is True
    assert settings().cache is True


def test_command_line_overrides_pyproject(tmp_path):
    write(tmp_path / "pyproject.toml",
          '[tool.fastapi-lint]\nstatus-code-methods = ["DELETE"]\n')
    write(tmp_path / "r.py", ROUTES)

    def codes(*flags):
        result = run("check", "--format", "json", *flags, cwd=tmp_path)
        return {item["code"] for item in json.loads(result.out)}
    assert codes() == {"FBP300"}
    assert codes("--status-code-methods", "POST") == {"FBP300", "FBP301"}


# -- discovery --------------------------------------------------------------------

def test_skipped_folders_and_excludes(tmp_path):
    write(tmp_path / "pyproject.toml",
          '[tool.fastapi-lint]\nexclude = ["legacy", "app/generated/*.py"]\n')
    for folder in (".git", ".venv", "venv", "node_modules", "build", "dist",
                   "__pycache__", "pkg.egg-info", "legacy", "app/legacy"):
        write(tmp_path / folder / "x.py", SLEEPY)
    write(tmp_path / "myenv" / "pyvenv.cfg", "home = /usr\n")
    write(tmp_path / "myenv" / "lib" / "x.py", SLEEPY)
    write(tmp_path / "app" / "generated" / "api.py", SLEEPY)
    write(tmp_path / "app" / "kept.py", SLEEPY)
    write(tmp_path / "notes.txt", "not python")
    result = run("check", "--format", "json", cwd=tmp_path)
    assert set(triples(result)) == {"app/kept.py"}
    # a file named on the command line (as pre-commit does) still honours `exclude`
    result = run("check", "--format", "json", "legacy/x.py", "app/kept.py",
                 cwd=tmp_path)
    assert set(triples(result)) == {"app/kept.py"}
    # `--exclude` replaces the configured globs; a folder named explicitly is walked
    result = run("check", "--format", "json", "--exclude", "kept.py", "build",
                 cwd=tmp_path)
    assert set(triples(result)) == {"build/x.py"}


def test_symlink_loops_and_duplicate_paths(tmp_path):
    write(tmp_path / "pkg" / "a.py", SLEEPY)
    os.symlink(tmp_path / "pkg", tmp_path / "pkg" / "loop")
    os.symlink(tmp_path / "pkg" / "a.py", tmp_path / "pkg" / "b.py")
    os.symlink(tmp_path / "missing.py", tmp_path / "pkg" / "dangling.py")
    result = run("check", "--format", "json", "pkg", "pkg/a.py", "pkg/loop",
                 cwd=tmp_path)
    assert result.code == 1
    assert list(triples(result)) == ["pkg/a.py"]  # each real file once
    assert "pkg/dangling.py: error: cannot read: broken symbolic link" in result.err


def test_unlistable_folder_is_reported(tmp_path, monkeypatch):
    write(tmp_path / "ok" / "a.py", "x = 1\n")
    write(tmp_path / "secret" / "b.py", SLEEPY)
    real_scandir = os.scandir

    def scandir(path):
        if str(path).endswith("secret"):
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = run("check", cwd=tmp_path)
    assert result.code == 1
    assert "secret: error: cannot list folder: Permission denied" in result.err
    assert "Traceback" not in result.err


# -- files that cannot be checked -------------------------------------------------

@pytest.mark.parametrize("content,message", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text file (it holds NUL bytes)"),
    (b"\xff\xfe\xfd binary", "cannot decode: not valid utf-8 (byte 0xff at offset 0)"),
    (b"# -*- coding: klingon -*-\nx = 1\n", "cannot decode: unknown encoding: klingon"),
    (b"def broken(:\n", "syntax error: invalid syntax (as Python"),
    (b"x = (" * 300 + b"1" + b")" * 300 + b"\n", "too many nested parentheses"),
])
def test_files_that_do_not_parse(tmp_path, content, message):
    (tmp_path / "bad.py").write_bytes(content)
    write(tmp_path / "good.py", SLEEPY)
    result = run("check", cwd=tmp_path)
    assert result.code == 1
    assert "Traceback" not in result.err
    [line] = [ln for ln in result.err.splitlines() if ln.startswith("bad.py")]
    assert message in line
    assert "good.py:5:5: FBP100" in result.out  # the other files are still checked
    assert "1 path could not be checked" in result.out


def test_syntax_error_position(tmp_path):
    write(tmp_path / "bad.py", "x = 1\ny = (\n")
    result = run("check", cwd=tmp_path)
    assert re.search(r"^bad\.py:2:\d+: error: syntax error: ", result.err, re.M)


def test_newer_syntax_names_the_python_version(tmp_path):
    write(tmp_path / "new.py", "match = 1\nprint(match\n")
    result = run("check", cwd=tmp_path)
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert f"(as Python {version} reads it)" in result.err


def test_unreadable_file(tmp_path, monkeypatch):
    write(tmp_path / "locked.py", SLEEPY)
    real_open = builtins.open

    def guarded(path, *args, **kwargs):
        if str(path).endswith("locked.py"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded)
    result = run("check", "--jobs", "1", cwd=tmp_path)
    assert result.code == 1
    assert result.err.strip() == "locked.py: error: cannot read: Permission denied"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="file permissions do not stop root")
def test_unreadable_file_by_permissions(tmp_path):
    locked = write(tmp_path / "locked.py", SLEEPY)
    locked.chmod(0)
    try:
        result = run("check", cwd=tmp_path)
    finally:
        locked.chmod(0o644)
    assert result.code == 1 and "locked.py: error: cannot read" in result.err


def test_odd_but_valid_files(tmp_path):
    (tmp_path / "bom.py").write_bytes(codecs.BOM_UTF8 + SLEEPY.encode())
    (tmp_path / "latin.py").write_bytes(
        b"# -*- coding: latin-1 -*-\n"
        + SLEEPY.replace("nap", "nap\xe9").encode("latin-1"))
    (tmp_path / "crlf.py").write_bytes(SLEEPY.replace("\n", "\r\n").encode())
    write(tmp_path / "empty.py", "")
    write(tmp_path / "deep.py", "x = " + "-" * 5000 + "1\n")
    result = run("check", "--format", "json", cwd=tmp_path)
    assert "Traceback" not in result.err
    found = triples(result)
    assert found == {name: {(5, 5, "FBP100")} for name in ("bom.py", "crlf.py")} | {
        "latin.py": {(6, 5, "FBP100")}}
    messages = [i["message"] for i in json.loads(result.out)]
    assert any("napé" in m for m in messages)


def test_decode_follows_python():
    assert source.decode(b"# coding: latin-1\nx = '\xe9'\n").text.endswith("'é'\n")
    bom = source.decode(codecs.BOM_UTF8 + b"x = 1\n")
    assert (bom.text, bom.encoding, bom.bom) == ("x = 1\n", "utf-8-sig", True)
    with pytest.raises(source.SourceError):
        source.decode(codecs.BOM_UTF8 + b"# coding: latin-1\nx = 1\n")


# -- parallel runs ----------------------------------------------------------------

def test_jobs_two_equals_jobs_one():
    args = ("check", "--format", "json", "rules", "projects", "fixes")
    one = program(*args, "--jobs", "1", cwd=FIXTURES)
    two = program(*args, "--jobs", "2", cwd=FIXTURES)
    assert one.code == two.code == 1
    assert len(json.loads(one.out)) > 50
    assert one.out == two.out


def test_output_order_is_stable(project):
    first = run("check", "--jobs", "1", cwd=project).out
    assert first == run("check", "--jobs", "1", "app/tasks.py", "app/routes.py",
                        cwd=project).out


# -- rules and explain ------------------------------------------------------------

def test_rules_command():
    result = run("rules")
    lines = result.out.splitlines()
    assert lines[0].split() == ["code", "name", "fix", "on", "summary"]
    assert len(lines) == 1 + len(rules.RULES)
    for line, rule in zip(lines[1:], rules.RULES.values()):
        assert line.split()[:4] == [rule.code, rule.name, rule.fix or "-",
                                    "yes" if rule.default else "no"]
    listing = json.loads(run("rules", "--format", "json").out)
    assert [item["code"] for item in listing] == list(rules.RULES)
    assert listing[0] == {"code": "FBP100", "name": "blocking-call-in-async",
                          "summary": rules.get("FBP100").summary, "fix": "safe",
                          "default": True}


def test_explain_prints_the_rule_page():
    result = run("explain", "fbp100")
    assert result.code == 0
    assert result.out == rules.get("FBP100").doc
    missing = run("explain", "FBP999")
    assert missing.code == 2 and "unknown rule `FBP999`" in missing.err


def test_explain_without_a_page(monkeypatch):
    registry = dict(rules.RULES)
    registry["FBP999"] = rules.Rule("FBP999", "made-up", "m", "x", "A summary.")
    monkeypatch.setattr(rules, "RULES", registry)
    result = run("explain", "FBP999")
    assert result.code == 0 and "A summary." in result.out
    assert "missing from this installation" in result.err


def test_websocket_routes_are_not_told_to_use_def(tmp_path):
    write(tmp_path / "ws.py", textwrap.dedent('''\
        import time
        from fastapi import FastAPI, WebSocket

        app = FastAPI()


        @app.websocket("/ws")
        async def feed(websocket: WebSocket):
            time.sleep(1)
    '''))
    [item] = json.loads(run("check", "--format", "json", cwd=tmp_path).out)
    assert item["message"].endswith("use `await asyncio.sleep(...)`")


def test_main_leaves_logging_as_it_found_it(project):
    package = logging.getLogger("fastapi_lint")
    before = (package.level, package.propagate, list(package.handlers))
    run("check", cwd=project)
    assert (package.level, package.propagate, list(package.handlers)) == before
