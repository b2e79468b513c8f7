"""What the guide rules learn from the file system, their options, and odd input."""

from __future__ import annotations

import ast
import os

import pytest

from fastapi_lint import options
from fastapi_lint.engine import check_tree
from fastapi_lint.options import ConfigError, Settings
from fastapi_lint.project import basemodels, migrations, templates
from fastapi_lint.project.layout import module_info
from harness import run_flake8


def write(root, relative: str, text: str = "") -> str:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return str(path)


MIGRATION = '''"""add thing

Revision ID: 0123456789ab
Create Date: 2024-01-31 23:59:58
"""
revision = "0123456789ab"


def upgrade():
    op.execute("CREATE TABLE thing (id INTEGER)")


def downgrade():
    pass
'''


# -- file templates --------------------------------------------------------------------


@pytest.mark.parametrize("template,name,matches", [
    ("%(year)d-%(month).2d-%(day).2d_%(slug)s", "2024-05-02_add_slug", True),
    ("%(year)d-%(month).2d-%(day).2d_%(slug)s", "2024-5-2_add_slug", False),
    ("%(year)d-%(month).2d-%(day).2d_%(slug)s", "7f3a1c2b9d10_add_slug", False),
    ("%(rev)s_%(slug)s", "7f3a1c2b9d10_add_slug", True),
    ("%(epoch)s_%(rev)s", "1714640000_7f3a1c2b9d10", True),
    ("%(year)d%(month).2d%(day).2d_%(hour).2d%(minute).2d-%(rev)s_%(slug)s",
     "20240502_1015-7f3a1c2b9d10_add_slug", True),
])
def test_template_pattern(template, name, matches):
    assert bool(templates.pattern(template).match(name)) is matches


def test_template_pattern_pins_the_revision():
    pattern = templates.pattern("%(rev)s_%(slug)s", "7f3a1c2b9d10")
    assert pattern.match("7f3a1c2b9d10_add_slug").group("slug") == "add_slug"
    assert pattern.match("0000aaaa1111_add_slug") is None


def test_template_problems_and_normalize():
    assert templates.normalize("%%(rev)s_%%(slug)s") == "%(rev)s_%(slug)s"
    assert templates.problems("%(rev)s_%(slug)s") == []
    assert templates.problems("%(when)s_%(slug)s") == ["unknown field `when`"]
    stray = "a `%` that starts no `%(field)s` token"
    assert stray in templates.problems("100%_%(rev)s")
    values = {"year": 2024, "month": 3}
    assert templates.render("%(year)d-%(month).2d", values) == "2024-03"
    assert templates.render("%(year)d", {}) is None


# -- options ---------------------------------------------------------------------------


def test_guide_options_parse():
    settings = options.build({
        "not-found-exceptions": ["Missing*"],
        "base-model": "src.models.CustomModel",
        "migration-file-template": "%%(rev)s_%%(slug)s",
        "test-files": "check_*.py, conftest.py",
        "async-test-client": "strict",
    })
    assert settings.not_found_exceptions == ("Missing*",)
    assert settings.base_model == "src.models.CustomModel"
    assert settings.test_files == ("check_*.py", "conftest.py")
    assert settings.async_test_client == "strict"


def test_guide_options_report_every_problem():
    with pytest.raises(ConfigError) as error:
        options.build({"base-model": "CustomModel",
                       "migration-file-template": "%(when)s",
                       "async-test-client": "always", "test-files": 3})
    text = str(error.value)
    for key in ("base-model", "migration-file-template", "async-test-client",
                "test-files"):
        assert f"`{key}`" in text


def test_bad_choice_on_flake8_command_line_is_a_clean_error(tmp_path):
    write(tmp_path, "pyproject.toml", "[project]\nname = 'x'\n")
    target = write(tmp_path, "test_x.py", "x = 1\n")
    run = run_flake8([target], tmp_path, "--fastapi-async-test-client=sometimes")
    assert run.returncode == 2
    assert "async-test-client" in run.stderr and "Traceback" not in run.stderr


# -- migrations ------------------------------------------------------------------------


def test_script_location_with_here_and_version_locations(tmp_path):
    write(tmp_path, "alembic.ini", "[alembic]\nscript_location = %(here)s/db\n"
          "version_locations = %(here)s/db/versions %(here)s/extra\n"
          "file_template = %%(rev)s_%%(slug)s\n")
    first = write(tmp_path, "db/versions/0123456789ab_add_thing.py", MIGRATION)
    second = write(tmp_path, "extra/0123456789ab_add_thing.py", MIGRATION)
    elsewhere = write(tmp_path, "db/helpers.py", MIGRATION)
    for path in (first, second):
        found = migrations.migration_file(path, Settings(), str(tmp_path))
        assert found is not None and found.template == "%(rev)s_%(slug)s"
        assert found.template_source.endswith("alembic.ini")
    assert migrations.migration_file(elsewhere, Settings(), str(tmp_path)) is None


def test_env_py_fallback_and_option_template(tmp_path):
    lone = write(tmp_path, "other/migrations/versions/sqlite/x.py", MIGRATION)
    assert migrations.migration_file(lone, Settings(), str(tmp_path)) is None
    path = write(tmp_path, "store/migrations/versions/sqlite/x.py", MIGRATION)
    write(tmp_path, "store/migrations/env.py")
    found = migrations.migration_file(path, Settings(), str(tmp_path))
    assert found is not None and found.relative == "sqlite/x.py"
    assert found.template_source is None
    assert found.template == templates.normalize(Settings().migration_file_template)


def test_package_style_script_location_keeps_the_ini_template(tmp_path):
    # `script_location = pkg:path` cannot be followed; env.py finds the folder and
    # the nearest alembic.ini still gives the template.
    write(tmp_path, "pkg/database/alembic.ini",
          "[alembic]\nscript_location = pkg:database:_migrations\n"
          "file_template = %%(year)d_%%(rev)s_%%(slug)s\n")
    write(tmp_path, "pkg/database/_migrations/env.py")
    path = write(tmp_path, "pkg/database/_migrations/versions/x.py", MIGRATION)
    found = migrations.migration_file(path, Settings(), str(tmp_path))
    assert found is not None and found.template == "%(year)d_%(rev)s_%(slug)s"


@pytest.mark.parametrize("ini", [
    b"\xff\xfe\x00garbage",
    b"no section header here\nscript_location = x\n",
    b"[alembic]\nfile_template = %%(nonsense)s\nscript_location = migrations\n",
    b"[alembic\n",
])
def test_broken_alembic_ini_never_crashes(tmp_path, ini):
    (tmp_path / "alembic.ini").write_bytes(ini)
    write(tmp_path, "pyproject.toml", "[project]\nname = 'x'\n")
    write(tmp_path, "migrations/env.py")
    target = write(tmp_path, "migrations/versions/0123456789ab_add_thing.py", MIGRATION)
    run = run_flake8([target], tmp_path)
    assert "Traceback" not in run.stderr and run.returncode in (0, 1), run.stderr
    codes = {code for _, _, code, _ in run.findings.get((tmp_path / os.path.relpath(
        target, tmp_path)).resolve(), [])}
    assert "FBP601" in codes  # still a migration, found through env.py


def test_migration_with_syntax_error_gets_only_flake8s_error(tmp_path):
    write(tmp_path, "pyproject.toml", "[project]\nname = 'x'\n")
    write(tmp_path, "migrations/env.py")
    target = write(tmp_path, "migrations/versions/bad.py", "revision = (\n")
    run = run_flake8([target], tmp_path, select="E999,FBP")
    assert "Traceback" not in run.stderr
    assert [code for _, _, code, _ in next(iter(run.findings.values()))] == ["E999"]


def test_suggested_name_uses_docstring_date_and_message(tmp_path):
    write(tmp_path, "pyproject.toml", "[project]\nname = 'x'\n")
    write(tmp_path, "migrations/env.py")
    target = write(tmp_path, "migrations/versions/0123456789ab_.py", MIGRATION)
    run = run_flake8([target], tmp_path)
    messages = [m for m in next(iter(run.findings.values())) if m[2] == "FBP600"]
    assert len(messages) == 1
    assert "rename it to `2024-01-31_add_thing.py`" in messages[0][3]


# -- custom base model -----------------------------------------------------------------


BASE = '''from pydantic import BaseModel, ConfigDict


class AppBase(BaseModel):
    model_config = ConfigDict(frozen=True)
'''


def test_base_model_found_and_cached_by_modification(tmp_path):
    write(tmp_path, "pyproject.toml", "[project]\nname = 'x'\n")
    models = write(tmp_path, "src/models.py", BASE)
    schema = write(tmp_path, "src/orders/schemas.py")
    info = module_info(schema, Settings(), str(tmp_path))
    assert basemodels.custom_base_models(info, Settings()) == ("src.models.AppBase",)
    with open(models, "a", encoding="utf-8") as handle:
        handle.write("    id: int\n")  # now it has a field: an ordinary model
    os.utime(models, ns=(1, 1))
    assert basemodels.custom_base_models(info, Settings()) == ()


def test_base_model_option_wins_and_unreadable_models_are_ignored(tmp_path):
    write(tmp_path, "pyproject.toml", "[project]\nname = 'x'\n")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "models.py").write_bytes(b"class (:\n\xff")
    schema = write(tmp_path, "src/orders/schemas.py")
    info = module_info(schema, Settings(), str(tmp_path))
    assert basemodels.custom_base_models(info, Settings()) == ()
    chosen = Settings(base_model="lib.Base")
    assert basemodels.custom_base_models(info, chosen) == ("lib.Base",)


# -- engine-level odd input ------------------------------------------------------------


def test_long_expressions_are_fine(tmp_path, caplog):
    chain = " + ".join(["os.environ['A']"] * 900)
    lookup = "service.get(" + " + ".join(["item_id"] * 900) + ")"
    source = (
        "import os\nfrom fastapi import APIRouter, Depends, HTTPException\n"
        "from fastapi.testclient import TestClient\nrouter = APIRouter()\n"
        "async def test_x():\n    c = TestClient(app)\n"
        f"x = {chain}\n"
        + "".join(
            f"@router.get('/i{n}/{{item_id}}')\ndef r{n}(item_id: int) -> int:\n"
            f"    item = {lookup}\n    if item is None:\n"
            "        raise HTTPException(404)\n    return item\n"
            for n in range(2))
        + "def f(x=Depends(Gate(" + " + ".join(["1"] * 900) + "))): pass\n"
    )
    path = write(tmp_path, "test_long.py", source)
    findings = check_tree(ast.parse(source), path, Settings(), str(tmp_path))
    assert not [r for r in caplog.records if r.name.startswith("fastapi_lint")]
    codes = [finding.code for finding in findings]
    assert codes.count("FBP500") == 0  # a test module: not checked
    assert "FBP610" in codes and "FBP204" in codes
    other = write(tmp_path, "long.py", source)
    findings = check_tree(ast.parse(source), other, Settings(), str(tmp_path))
    assert not [r for r in caplog.records if r.name.startswith("fastapi_lint")]
    assert [f.code for f in findings].count("FBP500") == 900


# -- messages --------------------------------------------------------------------------


def _messages(run, path) -> list[str]:
    return run.messages(path.resolve())


def test_messages_name_the_remedy(project_runs, rule_runs):
    from harness import FIXTURES

    projects = FIXTURES / "projects"
    toml = project_runs[projects / "alembic_toml"]
    versions = projects / "alembic_toml" / "schema" / "versions"
    assert _messages(toml, versions / "2024_03_02_99aa88bb77cc_add_april.py") == [
        "FBP600 migration file `2024_03_02_99aa88bb77cc_add_april.py` carries revision "
        "id `99aa88bb77cc`, but its revision is `2b3c4d5e6f70`: rename it to "
        "`2024_03_02_2b3c4d5e6f70_add_april.py`"]
    assert _messages(toml, versions / "2024_03_03_3c4d5e6f7081_.py") == [
        "FBP600 migration file `2024_03_03_3c4d5e6f7081_.py` names no change, only a "
        "revision id: rename it after the change it makes"]
    plain = project_runs[projects / "alembic_plain"]
    name = "e5f6a7b8c9d0_create_invoices.py"
    assert _messages(plain, projects / "alembic_plain" / "backend" / "migrations"
                     / "versions" / name) == [
        f"FBP600 migration file `{name}` does not follow "
        "`%(year)d-%(month).2d-%(day).2d_%(slug)s` (option `migration-file-template`): "
        "rename it to `2023-12-01_create_invoices.py`"]

    rules_dir = FIXTURES / "rules"
    found = _messages(rule_runs[rules_dir / "FBP203.py"], rules_dir / "FBP203.py")
    assert found[0] == (
        "FBP203 `catalog.fetch_article(article_id)` and its 404 check are repeated in "
        "3 routes of this module (`read_article`, `rename_article`, `drop_article`): "
        "move them into a dependency such as `valid_article_id`")
    found = _messages(rule_runs[rules_dir / "FBP500.py"], rules_dir / "FBP500.py")
    assert found[0] == (
        "FBP500 `os.environ[...]` reads the environment outside a settings class: make "
        "`LOG_LEVEL` a field of a `BaseSettings` class and read it from the settings "
        "object")
    assert (
        "FBP500 `os.getenv()` reads the environment in the default of settings field "
        "`database_url`: drop the default's read and let `BaseSettings` read "
        "`DATABASE_URL` (set `validation_alias` if the names differ)") in found
    found = _messages(rule_runs[rules_dir / "FBP204.py"], rules_dir / "FBP204.py")
    assert found[0] == (
        "FBP204 `Depends(Throttle(per_minute=60))` builds the dependency inline: "
        "assign `Throttle(per_minute=60)` to a module-level name and depend on that "
        "name")


def test_first_party_found_above_the_outermost_package(tmp_path):
    # backend/app/ is a package holding the migrations; `app` is first-party even when
    # the project root (the pyproject's folder) is far above.
    write(tmp_path, "pyproject.toml", "[project]\nname = 'x'\n")
    write(tmp_path, "services/backend/app/__init__.py")
    write(tmp_path, "services/backend/app/alembic/env.py")
    path = write(tmp_path, "services/backend/app/alembic/versions/x.py", MIGRATION)
    found = migrations.migration_file(path, Settings(), str(tmp_path))
    assert found is not None and "app" in found.first_party
