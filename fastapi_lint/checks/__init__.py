"""The checks, one module per rule family; each reads a FileContext, yields findings."""

from . import (blocking, dependencies, imports, layout, migrations, models, routes,
               settings, tasks, testing)

# Checks that read this file only, with the codes each can report.
FILE_CHECKS = {
    blocking.check: frozenset(("FBP100",)),
    imports.check: frozenset(("FBP200",)),
    layout.check: frozenset(("FBP201",)),
    routes.check: frozenset(("FBP300", "FBP301")),
    tasks.check: frozenset(("FBP400",)),
    dependencies.check: frozenset(("FBP203", "FBP204")),
    routes.check_descriptions: frozenset(("FBP304",)),
    settings.check: frozenset(("FBP500",)),
    models.check: frozenset(("FBP501",)),
    migrations.check: frozenset(("FBP600", "FBP601", "FBP602")),
    testing.check: frozenset(("FBP610",)),
}
# Checks that read the project index (the rest of the project), with their codes.
PROJECT_CHECKS = {
    blocking.check_helpers: frozenset(("FBP101",)),
    layout.check_placement: frozenset(("FBP202",)),
    routes.check_path_parameters: frozenset(("FBP302",)),
    routes.check_path_names: frozenset(("FBP303",)),
    tasks.check_background: frozenset(("FBP401",)),
}
# A check none of whose codes is selected is not run (`tests/test_selection.py` holds
# each check to its codes on every fixture file); when no project code is selected,
# no project index is built either.
CODES = {**FILE_CHECKS, **PROJECT_CHECKS}
CHECKS = tuple(CODES)
PROJECT_CODES = frozenset().union(*PROJECT_CHECKS.values())
