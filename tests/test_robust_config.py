"""Configuration that cannot be used: every problem listed at once, exit 2, no crash.

Covers `[tool.fastapi-lint]` in pyproject.toml (malformed TOML, unknown keys, wrong
types, enormous values) and the `--fastapi-*` options of flake8's command line and
config files.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fastapi_lint import options
from fastapi_lint.options import ConfigError
from robust import crashes, flake8, reported

CLEAN = "x = 1\n"
ROUTE = (
    "import time\nfrom fastapi import FastAPI\napp = FastAPI()\n"
    "@app.get('/', response_model=None)\nasync def f():\n    time.sleep(1)\n"
)


def lint_with(tmp_path: Path, pyproject: "str | bytes | None", *args: str,
              jobs: str = "1"):
    (tmp_path / "a.py").write_text(CLEAN)
    if pyproject is not None:
        path = tmp_path / "pyproject.toml"
        if isinstance(pyproject, bytes):
            path.write_bytes(pyproject)
        else:
            path.write_text(pyproject, encoding="utf-8")
    return flake8(["a.py"], tmp_path, "--jobs", jobs, *args)


def assert_config_error(proc, *expected: str) -> list[str]:
    """Exit 2, no traceback, and each expected text on a line of stderr."""
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
    assert not crashes(proc.stderr), proc.stderr[-3000:]
    lines = proc.stderr.splitlines()
    assert lines[0] == "fastapi-lint: configuration error", proc.stderr[-2000:]
    for text in expected:
        assert any(text in line for line in lines), (text, proc.stderr[-2000:])
    assert all(len(line) < 400 for line in lines), "an error line echoes a huge value"
    return lines


BROKEN_DOCUMENTS = {
    "unclosed-table": ("[tool.fastapi-lint\n", "not valid TOML"),
    "bad-value": ("[tool.fastapi-lint]\ncache = maybe\n", "not valid TOML"),
    "tool-is-not-a-table": ("tool = 1\n", "`tool` must be a table"),
    "section-is-not-a-table": ("[tool]\nfastapi-lint = 3\n",
                               "`tool.fastapi-lint` must be a table"),
    # Limits of tomllib itself, reported instead of raised:
    "integer-of-5000-digits": ("[tool.fastapi-lint]\ncache = " + "9" * 5_000 + "\n",
                               "not valid TOML"),
    "arrays-nested-100000-deep": ("x = " + "[" * 100_000 + "]" * 100_000 + "\n",
                                  "not valid TOML"),
    "tables-nested-5000-deep": ("x = " + "{a = " * 5_000 + "1" + "}" * 5_000 + "\n",
                                "not valid TOML"),
}


@pytest.mark.parametrize("name", sorted(BROKEN_DOCUMENTS))
def test_pyproject_that_is_not_usable(tmp_path, name):
    document, message = BROKEN_DOCUMENTS[name]
    assert_config_error(lint_with(tmp_path, document), "pyproject.toml: " + message)


def test_pyproject_not_utf8(tmp_path):
    assert_config_error(lint_with(tmp_path, b"\xff\xfe[tool]\n"), "cannot be read")


def test_every_problem_of_the_table_at_once(tmp_path):
    document = (
        "[tool.fastapi-lint]\n"
        "router_names = ['app']\n"
        "bogus = 1\n"
        "cache = 'maybe'\n"
        "app-root = 5\n"
        "status-code-methods = ['FETCH', 'POST']\n"
        "extra-blocking-calls = ['not a name']\n"
        "required-modules = [[1]]\n"
        "type-checking-imports = 1.5\n"
    )
    lines = assert_config_error(
        lint_with(tmp_path, document),
        "unknown key `router_names` (did you mean `router-names`?)",
        "unknown key `bogus`",
        "`cache` must be true or false",
        "`app-root` must be a string",
        "`status-code-methods` has unknown HTTP methods: FETCH",
        "`extra-blocking-calls` entries must be dotted names: not a name",
        "`required-modules` must be a list of strings",
        "`type-checking-imports` must be true or false",
    )
    assert len(lines) == 9


def test_enormous_values(tmp_path):
    huge = "a" * 1_000_000
    entries = ", ".join(f"'m{i}'" for i in range(20_000))
    document = (
        "[tool.fastapi-lint]\n"
        f"app-root = '{huge}'\n"
        f"required-modules = [{entries}]\n"
        f"extra-blocking-calls = ['{huge[:4000]} x', 'b c', 'd e', 'f g', 'h i', 'j k',"
        " 'l m']\n"
        f"domain-packages = ['{huge}']\n"
        f"'{huge}' = 1\n"
        "router-names = ['a\\u0000b\\nc']\n"
    )
    assert_config_error(
        lint_with(tmp_path, document),
        "`app-root` is longer than 4096 characters",
        "`required-modules` has more than 10000 entries",
        "`extra-blocking-calls` entries must be dotted names: aaaa",
        "and 2 more",
        "`domain-packages` has entries longer than 4096 characters",
        "unknown key `aaaa",
    )


def test_flake8_options_and_pyproject_listed_together(tmp_path):
    proc = lint_with(tmp_path, "[tool.fastapi-lint]\nbogus = 1\n",
                     "--fastapi-cache=maybe", "--fastapi-status-code-methods=FETCH")
    assert_config_error(
        proc,
        "flake8 options: `status-code-methods` has unknown HTTP methods: FETCH",
        "flake8 options: `cache` must be true or false",
        "pyproject.toml: unknown key `bogus`",
    )


def test_flake8_config_file_options(tmp_path):
    (tmp_path / "setup.cfg").write_text(
        "[flake8]\nfastapi-type-checking-imports = sometimes\n"
        f"fastapi-app-root = {'b' * 5000}\n")
    assert_config_error(lint_with(tmp_path, None),
                        "flake8 options: `type-checking-imports` must be true or false",
                        "flake8 options: `app-root` is longer than 4096 characters")


def test_configuration_error_with_jobs(tmp_path):
    assert_config_error(lint_with(tmp_path, "tool = 1\n", jobs="2"), "`tool` must be")


def test_broken_subproject_reported_once_others_still_checked(tmp_path):
    """A pyproject.toml below the current folder is read per file: its errors are
    reported once, its files are skipped, and every other file is still checked."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'top'\n")
    sub = tmp_path / "sub"
    for folder in (sub / "one", sub / "two"):
        folder.mkdir(parents=True)
        (folder / "r.py").write_text(ROUTE)
    (sub / "pyproject.toml").write_text("[tool.fastapi-lint]\nbogus = 1\n")
    (tmp_path / "ok.py").write_text(ROUTE)
    proc = flake8(["."], tmp_path, "--jobs", "1")
    assert not crashes(proc.stderr), proc.stderr
    assert proc.stderr.count("unknown key `bogus`") == 1, proc.stderr
    assert "not checked" in proc.stderr
    assert [(p, code) for p, _, _, code in reported(proc.stdout)] == [
        ("./ok.py", "FBP100")]


def test_build_lists_every_problem():
    with pytest.raises(ConfigError) as caught:
        options.build({"bogus": 1, "cache": [], "router-names": 3,
                       "status-code-methods": ["GET", "NOPE"]}, source="here")
    assert caught.value.errors == [
        "unknown key `bogus`",
        "`cache` must be true or false",
        "`router-names` must be a list of strings",
        "`status-code-methods` has unknown HTTP methods: NOPE",
    ]
    assert str(caught.value).splitlines()[0] == "here: unknown key `bogus`"


def test_echoed_values_are_cut_and_escaped():
    with pytest.raises(ConfigError) as caught:
        options.build({"x" * 500: 1, "a\nb": 2})
    assert caught.value.errors == [
        f"unknown key `{'x' * 57}...`",
        "unknown key `a\\nb`",
    ]


def test_unreadable_pyproject_location_is_not_an_error(tmp_path, monkeypatch):
    """A pyproject.toml that cannot even be looked at (EACCES on stat) is no config:
    finding one never raises."""
    import os

    from fastapi_lint import config

    real_stat = os.stat

    def stat(path, *args, **kwargs):
        if os.fspath(path).endswith("pyproject.toml"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_stat(path, *args, **kwargs)

    (tmp_path / "pyproject.toml").write_text("[tool.fastapi-lint]\n")
    monkeypatch.setattr(os, "stat", stat)
    assert config.find_pyproject.__wrapped__(str(tmp_path / "sub")) is None
