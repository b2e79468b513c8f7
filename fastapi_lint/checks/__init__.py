"""The checks, one module per rule family; each reads a FileContext, yields findings."""

from . import (blocking, dependencies, imports, layout, migrations, models, routes,
               settings, tasks, testing)

CHECKS = (blocking.check, imports.check, layout.check, routes.check, tasks.check,
          dependencies.check, routes.check_descriptions, settings.check, models.check,
          migrations.check, testing.check)
