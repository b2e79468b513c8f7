"""The checks, one module per rule family; each reads a FileContext, yields findings."""

from . import blocking, imports, layout, routes, tasks

CHECKS = (blocking.check, imports.check, layout.check, routes.check, tasks.check)
