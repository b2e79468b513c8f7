"""The checks, one module per rule family; each reads a FileContext, yields findings."""

from . import (blocking, dependencies, imports, layout, migrations, models, routes,
               settings, tasks, testing)

# Checks that read this file only.
FILE_CHECKS = (blocking.check, imports.check, layout.check, routes.check, tasks.check,
               dependencies.check, routes.check_descriptions, settings.check,
               models.check, migrations.check, testing.check)
# Checks that read the project index (the rest of the project), and their codes: when
# none of the codes is selected, a front end can skip these checks and the index.
PROJECT_CHECKS = (blocking.check_helpers, layout.check_placement,
                  routes.check_path_parameters, routes.check_path_names,
                  tasks.check_background)
PROJECT_CODES = frozenset(("FBP101", "FBP202", "FBP302", "FBP303", "FBP401"))
CHECKS = FILE_CHECKS + PROJECT_CHECKS

# The codes each check can report: a check none of whose codes is selected is not run
# (`tests/test_selection.py` holds each check to its codes on every fixture file).
CODES = {
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
    blocking.check_helpers: frozenset(("FBP101",)),
    layout.check_placement: frozenset(("FBP202",)),
    routes.check_path_parameters: frozenset(("FBP302",)),
    routes.check_path_names: frozenset(("FBP303",)),
    tasks.check_background: frozenset(("FBP401",)),
}
