"""Messages say what is wrong and what to do instead, exactly as written here."""

from __future__ import annotations

from fastapi_lint import rules
from harness import FIXTURES, run_flake8

DEMO = FIXTURES / "demo"
POSTS = (DEMO / "src" / "posts" / "router.py").resolve()
PAYMENTS = (DEMO / "src" / "payments" / "router.py").resolve()


def test_demo_messages():
    run = run_flake8([DEMO], DEMO)
    assert run.messages(POSTS) == [
        "FBP200 `from src.auth.constants import ErrorCode` reaches into domain package "
        "`auth`: import the module with an alias, "
        "`from src.auth import constants as auth_constants`",
        "FBP300 route `GET /` declares no response model: add a return annotation or "
        "`response_model=`",
        "FBP100 blocking call `db.execute()` on a `sqlalchemy.orm.Session` in "
        "`async def list_posts`: declare `list_posts` with `def` so FastAPI runs it in "
        "its threadpool",
        "FBP301 route `POST /` has no explicit `status_code`: add "
        "`status_code=status.HTTP_201_CREATED`",
        "FBP400 `asyncio.create_task()` in `create_post` starts a task it never awaits "
        "and keeps no reference to: use a `BackgroundTasks` parameter's `add_task`",
        "FBP100 blocking call `time.sleep()` in `async def preview`: use "
        "`await asyncio.sleep(...)`",
        "FBP100 blocking call `requests.get()` in `async def preview`: use "
        "`httpx.AsyncClient` and await it",
        "FBP203 `service.find(post_id)` and its 404 check are repeated in 2 routes of "
        "this module (`get_post`, `delete_post`): move them into a dependency such as "
        "`valid_post_id`",
        "FBP204 `Depends(RoleChecker('editor'))` builds the dependency inline: assign "
        "`RoleChecker('editor')` to a module-level name and depend on that name",
        "FBP203 `service.find(post_id)` and its 404 check are repeated in 2 routes of "
        "this module (`get_post`, `delete_post`): move them into a dependency such as "
        "`valid_post_id`",
    ]
    assert run.messages(PAYMENTS) == [
        "FBP201 domain package `payments` has no `schemas`, `service`: add `schemas.py`, "
        "`service.py`",
    ]


def test_kept_task_message_has_no_garbage_collection_warning():
    path = (FIXTURES / "rules" / "FBP400.py").resolve()
    messages = run_flake8([path], path.parent).messages(path)
    kept = [m for m in messages if "no reference" not in m]
    assert kept == [
        "FBP400 `asyncio.create_task()` in `create_user` starts a task it never awaits: "
        "use a `BackgroundTasks` parameter's `add_task`"
    ]
    assert "FBP400 `asyncio.get_event_loop().create_task()` in `create_user` starts" in (
        messages[-1])


def test_demo_shows_every_rule():
    run = run_flake8([DEMO], DEMO, "--extend-select", "FBP304")
    codes = {code for found in run.findings.values() for _, _, code, _ in found}
    assert codes == set(rules.RULES)


def test_an_internal_error_is_one_line_without_traceback(monkeypatch, caplog):
    import ast
    import logging

    from fastapi_lint import engine
    from fastapi_lint.options import Settings

    def broken(ctx):
        raise ValueError("boom")
        yield

    monkeypatch.setattr(engine, "CHECKS", (broken,))
    with caplog.at_level(logging.WARNING, logger="fastapi_lint"):
        assert engine.check_tree(ast.parse("x = 1\n"), None, Settings()) == []
    assert [r.getMessage() for r in caplog.records] == [
        "fastapi-lint: internal error in test_messages on None: ValueError: boom "
        "(please report it)"]
    assert all(r.exc_info is None for r in caplog.records)
