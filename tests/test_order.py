"""The command's checking order: imported project modules before their importers."""

from __future__ import annotations

import pytest

from fastapi_lint.order import _IMPORT, _import_statements, dependency_order, \
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
