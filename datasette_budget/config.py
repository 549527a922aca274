"""Plugin configuration, read in one place (``plugins: datasette-budget:`` in metadata.yml)."""
from __future__ import annotations


def plugin_config(datasette, database: str | None = None, table: str | None = None) -> dict:
    return datasette.plugin_config("datasette-budget", database=database, table=table) or {}
