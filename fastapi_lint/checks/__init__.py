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
