"""fastapi-lint: a linter for the FastAPI best practices."""

__version__ = "0.1.0"
