"""Configuration: pyproject discovery, each key, precedence and bad input."""

from __future__ import annotations

import textwrap

import pytest

from fastapi_lint import config, options
from fastapi_lint.options import ConfigError, Settings
from harness import run_flake8

ROUTE = textwrap.dedent(
    """\
    from fastapi import FastAPI

    app = FastAPI()


    @app.post("/items", response_model=dict)
    async def create_item() -> dict:
        return {}
    """
)


def make_project(tmp_path, table: str = "", source: str = ROUTE):
    (tmp_path / "pyproject.toml").write_text(
        "[project]\nname = 'x'\nversion = '0'\n" + table, encoding="utf-8")
    (tmp_path / "main.py").write_text(source, encoding="utf-8")
    return tmp_path / "main.py"


def test_defaults_without_configuration():
    assert options.build({}) == Settings()


def test_every_key_parses_from_toml_values():
    values = {
        "router-names": ["app", "*_api"],
        "extra-blocking-calls": ["legacy.fetch", "legacy.Client().*"],
        "extra-safe-wrappers": ["offload.wrap"],
        "app-root": "src",
        "domain-packages": ["users"],
        "required-modules": ["schemas"],
        "type-checking-imports": True,
        "status-code-methods": ["post", "Delete"],
        "cache": False,
        "exclude": ["migrations/*"],
        "select": ["FBP1"],
        "ignore": ["FBP301"],
        "extend-select": ["FBP304"],
        "not-found-exceptions": ["Missing*"],
        "base-model": "src.models.CustomModel",
        "migration-file-template": "%(year)d_%(slug)s",
        "test-files": ["check_*.py"],
        "async-test-client": "strict",
    }
    assert set(values) == set(options.BY_KEY), "this test names every option"
    settings = options.build(values)
    assert settings.router_names == ("app", "*_api")
    assert settings.extra_blocking_calls == ("legacy.fetch", "legacy.Client().*")
    assert settings.status_code_methods == ("POST", "DELETE")
    assert settings.type_checking_imports is True
    assert settings.cache is False
    assert settings.not_found_exceptions == ("Missing*",)
    assert settings.async_test_client == "strict"
    assert settings.app_root == "src"


def test_every_error_is_reported_at_once():
    with pytest.raises(ConfigError) as caught:
        options.build({
            "router_names": ["x"],
            "app-root": 3,
            "type-checking-imports": "maybe",
            "status-code-methods": ["FETCH"],
            "extra-blocking-calls": ["not a name"],
        })
    errors = caught.value.errors
    assert len(errors) == 5
    assert "unknown key `router_names` (did you mean `router-names`?)" in errors
    assert "`app-root` must be a string" in errors
    assert "`type-checking-imports` must be true or false" in errors
    assert "`status-code-methods` has unknown HTTP methods: FETCH" in errors
    assert "`extra-blocking-calls` entries must be dotted names: not a name" in errors


def test_pyproject_is_found_by_walking_up(tmp_path):
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    (tmp_path / "pyproject.toml").write_text("[tool.fastapi-lint]\napp-root = 'a'\n")
    found = config.find_pyproject(str(nested))
    assert found == str(tmp_path / "pyproject.toml")
    assert config.load(found).app_root == "a"


def test_pyproject_option_applies_under_flake8(tmp_path):
    configured, plain = tmp_path / "configured", tmp_path / "plain"
    configured.mkdir()
    plain.mkdir()
    path = make_project(configured, "[tool.fastapi-lint]\nstatus-code-methods = ['PUT']\n")
    assert run_flake8([path], configured).triples(path.resolve()) == set()
    other = make_project(plain)
    assert run_flake8([other], plain).triples(other.resolve()) == {(6, 2, "FBP301")}


def test_flake8_options_override_pyproject(tmp_path):
    path = make_project(tmp_path, "[tool.fastapi-lint]\nstatus-code-methods = ['PUT']\n")
    run = run_flake8([path], tmp_path, "--fastapi-status-code-methods=POST")
    assert run.triples(path.resolve()) == {(6, 2, "FBP301")}


def test_flake8_config_file_options(tmp_path):
    path = make_project(tmp_path)
    (tmp_path / "setup.cfg").write_text("[flake8]\nfastapi-status-code-methods = PUT\n")
    assert run_flake8([path], tmp_path).triples(path.resolve()) == set()


@pytest.mark.parametrize(
    "table, expected",
    [
        ("[tool.fastapi-lint]\nrouter_names = ['x']\n", "unknown key `router_names`"),
        ("[tool.fastapi-lint]\napp-root = 3\n", "`app-root` must be a string"),
        ("[tool.fastapi-lint\n", "not valid TOML"),
        ("[tool]\nfastapi-lint = 3\n", "must be a table"),
    ],
)
def test_bad_pyproject_stops_flake8_with_exit_2(tmp_path, table, expected):
    path = make_project(tmp_path, table)
    run = run_flake8([path], tmp_path)
    assert run.returncode == 2
    assert expected in run.stderr
    assert "Traceback" not in run.stderr


def test_bad_flake8_option_stops_with_exit_2(tmp_path):
    path = make_project(tmp_path)
    run = run_flake8([path], tmp_path, "--fastapi-type-checking-imports=perhaps")
    assert run.returncode == 2
    assert "`type-checking-imports` must be true or false" in run.stderr
    assert "Traceback" not in run.stderr
