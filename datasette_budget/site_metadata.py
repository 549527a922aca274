"""The table metadata the plugin ships (``site_metadata.yml``), for every budget database.

Titles, descriptions, column descriptions, default facets, sort orders and label columns
come with the package, so a site needs no metadata file of its own, and they apply to any
database that holds the budget tables, whatever it is called. A site's own metadata wins,
key by key:

- Datasette 0.65 asks plugins for metadata on every lookup (the ``get_metadata`` hook) and
  merges the site's metadata over it: ``metadata_for_lookup`` answers.
- Datasette 1.0 keeps metadata in its internal database and table options (facets, sort,
  label column) in its configuration: ``apply_to_datasette`` writes what the site has not
  set, once, at startup.
"""
from __future__ import annotations

import asyncio
from functools import lru_cache
from importlib.resources import files

from datasette.utils import parse_metadata

# Table keys that Datasette 1.0 reads from configuration (datasette.yaml), not metadata.
TABLE_CONFIG_KEYS = ("hidden", "sort", "sort_desc", "size", "sortable_columns", "label_column",
                     "facets", "fts_table", "fts_pk", "searchmode")


@lru_cache(maxsize=1)
def shipped() -> dict:
    """The database-level metadata the package ships: ``{"description": ..., "tables": {...}}``."""
    metadata = parse_metadata(files(__package__).joinpath("site_metadata.yml").read_text("utf-8"))
    return {key: value for key, value in metadata.items() if not key.startswith("x-")}


@lru_cache(maxsize=1)
def _lookup_keys() -> frozenset[str]:
    """Keys a lookup can find in the shipped metadata, at database or table level."""
    keys = {"databases", "tables", *shipped()}
    for table_metadata in shipped()["tables"].values():
        keys.update(table_metadata)
    return frozenset(keys)


def _copy(value):
    # Datasette 0.65 merges the site's metadata into what a plugin returns, in place: each
    # lookup gets its own dicts (lists and strings are replaced, never changed, so shared).
    # The shipped metadata is three dicts deep at most (tables, a table, its columns).
    if not isinstance(value, dict):
        return value
    return {key: ({k: (dict(v) if type(v) is dict else v) for k, v in item.items()}
                  if type(item) is dict else item)
            for key, item in value.items()}


def _copy_database(metadata: dict) -> dict:
    copied = dict(metadata)
    copied["tables"] = _copy(metadata["tables"])
    return copied


def metadata_for_lookup(key: str | None, database: str | None, budget_databases: set[str]) -> dict | None:
    """What the ``get_metadata`` hook returns on Datasette 0.65 for one lookup.

    >>> metadata_for_lookup("databases", None, {"hebei"})["databases"]["hebei"]["tables"]["documents"]["title"]
    '文档 Documents'

    Instance-level lookups (``title``, ``plugins`` without a database) get None: the package
    ships nothing there, and plugin configuration is looked up on every request.
    """
    if not budget_databases or (key is not None and key not in _lookup_keys()):
        return None
    if database is not None:
        if database not in budget_databases:
            return None
        names = [database]
    elif key in (None, "databases"):
        names = sorted(budget_databases)
    else:
        return None
    return {"databases": {name: _copy_database(shipped()) for name in names}}


async def apply_to_datasette(datasette, database: str) -> None:
    """Datasette 1.0: store the shipped metadata of ``database`` where the site set none.

    Runs at startup, after Datasette has stored the site's own metadata; table options go
    into ``datasette.config`` under ``databases: <name>: tables:``, below the site's own.
    """
    metadata = shipped()
    database_metadata = await datasette.get_database_metadata(database)
    for key, value in metadata.items():
        if key != "tables" and key not in database_metadata:
            await datasette.set_database_metadata(database, key, value)

    if datasette.config is None:
        datasette.config = {}
    tables_config = (datasette.config.setdefault("databases", {}).setdefault(database, {})
                     .setdefault("tables", {}))
    writes = []
    for table, table_metadata in metadata["tables"].items():
        table_config = tables_config.setdefault(table, {})
        resource_metadata = await datasette.get_resource_metadata(database, table)
        for key, value in table_metadata.items():
            if key in TABLE_CONFIG_KEYS:
                table_config.setdefault(key, _copy(value))
            elif key == "columns":
                for column, description in value.items():
                    if "description" not in await datasette.get_column_metadata(database, table, column):
                        writes.append(datasette.set_column_metadata(database, table, column, "description",
                                                                    description))
            elif key not in resource_metadata:
                writes.append(datasette.set_resource_metadata(database, table, key, value))
    # Queued together: the internal database's write thread takes them one after another
    # without a round trip each (a few hundred writes, 0.1 s one by one).
    await asyncio.gather(*writes)
