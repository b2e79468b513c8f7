"""The command's checking order: imported project modules before their importers."""

from __future__ import annotations

import pytest

from fastapi_lint.order import _IMPORT, LARGE, _import_statements, dependency_order, \
    imported_modules


def _write(root, files):
    paths = []
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        paths.append(str(path))
    return paths


def test_imported_modules_reads_plain_from_relative_and_aliased_imports():
    text = (b"import os, app.core as core\n"
            b"from . import service\n"
            b"from ..models import (Item,\n    Other)\n"
            b"    from app.db import session  # late\n")
    found = imported_modules(text, "app.items")
    assert found == ["os", "app.core", "app.items", "app.items.service", "app.models",
                     "app.models.Item", "app.db", "app.db.session"]


@pytest.mark.parametrize("text", [
    b"import", b"importimport", b"\nimport x", b"import a\nimport b",
    b"x = 1\r import y\nfrom . import (a,\n b)\n",
    b"from x import import_y, importer\n  import a, b as c # c\n",
    b"\r\nimport a\rimport b\n", b"\xff\xfeimport a\n", b"from\timport import x\n",
    b"s = 'import os'; import json\n#import no\n\timport tab\n",
    b"from .models import (Item,\n    Other)\n    from app.db import session  # late\n",
])
def test_only_the_lines_that_spell_import_are_tried(text):
    """Trying the expression at the lines holding `import` finds what trying it at
    every position finds, in the same order."""
    def spans(matches):
        return [(m.span(), m.groups()) for m in matches]

    assert spans(_import_statements(text)) == spans(_IMPORT.finditer(text))


def test_modules_come_after_what_they_import(tmp_path):
    paths = _write(tmp_path, {
        "app/__init__.py": "",
        "app/main.py": "from app.items import router\nfrom app import db\n",
        "app/items/__init__.py": "",
        "app/items/router.py": "from . import service\n",
        "app/items/service.py": "from app.db import engine\n",
        "app/db.py": "import sqlalchemy\n",
    })
    order, imported = dependency_order(paths, [str(tmp_path)] * len(paths))
    assert sorted(order) == list(range(len(paths)))
    position = {paths[i].split(str(tmp_path))[1]: n for n, i in enumerate(order)}
    assert position["/app/db.py"] < position["/app/items/service.py"]
    assert position["/app/items/service.py"] < position["/app/items/router.py"]
    assert position["/app/items/router.py"] < position["/app/main.py"]
    # `from app.items import router` imports the package `app.items` too
    assert {paths[i].split(str(tmp_path))[1] for i in imported} == {
        "/app/__init__.py", "/app/db.py", "/app/items/__init__.py",
        "/app/items/router.py", "/app/items/service.py"}


def test_cycles_and_files_outside_a_project_keep_every_file_once(tmp_path):
    paths = _write(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/a.py": "from pkg import b\n",
        "pkg/b.py": "from pkg import a\n",
        "loose.py": "import pkg.a\n",
    })
    roots = [str(tmp_path)] * 3 + [None]
    order, imported = dependency_order(paths, roots)
    assert sorted(order) == [0, 1, 2, 3]
    assert 3 not in imported and {1, 2} <= imported


def _positions(order, paths, base):
    return {paths[i].split(str(base))[1]: n for n, i in enumerate(order)}


def test_modules_that_cannot_ask_the_index_come_first(tmp_path):
    """A module with no `async def` and no route asks the index nothing: it goes
    before the modules that may ask, even one that imports them."""
    paths = _write(tmp_path, {
        "app/__init__.py": "",
        "app/main.py": "from app import api\napp = make(api)\n",
        "app/api.py": "from app import helpers\n\nasync def read():\n    helpers.h()\n",
        "app/routes.py": "from app import helpers\n\n@router.get('/')\ndef index(): ...\n",
        "app/helpers.py": "def h(): ...\n",
    })
    order, _ = dependency_order(paths, [str(tmp_path)] * len(paths))
    position = _positions(order, paths, tmp_path)
    assert sorted(order) == list(range(len(paths)))
    asking = {"/app/api.py", "/app/routes.py"}
    assert max(position[p] for p in position if p not in asking) < min(
        position[p] for p in asking)
    assert position["/app/helpers.py"] < position["/app/main.py"]


def test_a_large_module_that_asks_comes_first(tmp_path):
    filler = "x = 1\n" * (LARGE // 6 + 1)
    paths = _write(tmp_path, {
        "app/__init__.py": "",
        "app/helpers.py": "def h(): ...\n",
        "app/big.py": "from app import helpers\nasync def f(): ...\n" + filler,
        "app/small.py": "from app import helpers\nasync def g(): ...\n",
        "app/plain.py": "from app import helpers\n" + filler,
    })
    order, imported = dependency_order(paths, [str(tmp_path)] * len(paths))
    names = [paths[i].split(str(tmp_path))[1] for i in order]
    assert names[0] == "/app/big.py"
    assert names[-1] == "/app/small.py"
    assert {paths[i].split(str(tmp_path))[1] for i in imported} == {
        "/app/__init__.py", "/app/helpers.py"}


def test_each_project_is_checked_in_one_run(tmp_path):
    """The command lets a project's index go after the project's last module: the
    modules of two projects are not interleaved."""
    files = {}
    for project in ("one", "two"):
        files[f"{project}/app/__init__.py"] = ""
        files[f"{project}/app/api.py"] = "async def f(): ...\n"
        files[f"{project}/app/models.py"] = "class M: ...\n"
    paths = _write(tmp_path, files)
    roots = [str(tmp_path / path.split(str(tmp_path))[1].split("/")[1]) for path in paths]
    order, _ = dependency_order(paths, roots)
    projects = [roots[i] for i in order]
    assert projects == sorted(projects, key=projects.index)  # each root in one run
    assert sorted(order) == list(range(len(paths)))
