"""The checks, one module per rule family; each reads a FileContext, yields findings."""

from . import blocking, imports, layout, routes, tasks

CHECKS = (
    blocking.check, imports.check, layout.check, routes.check, tasks.check,
    blocking.check_helpers, layout.check_placement, routes.check_path_parameters,
    routes.check_path_names, tasks.check_background,
)
# The checks that read the project index; without any of them selected, the front
# ends need not build it.
PROJECT_CODES = frozenset(("FBP101", "FBP202", "FBP302", "FBP303", "FBP401"))
