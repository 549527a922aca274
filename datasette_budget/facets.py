"""The ``hierarchy`` facet: group rows by the next level of a classification code
(类 → 款 → 项), with counts and sums, drilling down one level per click.

``?_facet_hierarchy=function_code`` on a table with ``function_class`` (类),
``function_section`` (款) and ``function_code`` (项) columns groups by 类; once
``function_class=201`` is selected it groups by 款, and so on. Drilling filters on those
level columns with equality, which an index serves (``LIKE 'x%'`` could not).
"""
from __future__ import annotations

from datasette.database import QueryInterrupted
from datasette.facets import Facet
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args
from datasette.utils.asgi import BadRequest

from . import rollups, validation
from .amounts import sql_exact, sql_sum
from .classification import LEVEL_NAMES
from .config import plugin_config

DEFAULT_AMOUNT_COLUMNS = ("total", "amount")
# Arguments that change what a table page shows but not which rows it has: with only these
# (and the drill itself) the facet may read the load-time rollups. Any other argument,
# known or not, sends the facet to the line table, which agrees with the table by construction.
ROW_NEUTRAL_ARGS = frozenset({
    "_facet", "_facet_size", "_facet_hierarchy", "_facet_array", "_facet_date", "_sort", "_sort_desc",
    "_size", "_next", "_labels", "_nolabels", "_shape", "_json", "_json_infinity", "_col", "_nocol",
    "_nofacet", "_nocount", "_nosuggest", "_trace", "_extra", "_timelimit", "_ttl", "_stream", "_dl",
    "_context", "_hash",
})


def level_columns(column: str, columns: list[str], configured: dict | None = None) -> list[str]:
    """The level columns, top first, for a hierarchy facet on ``column``.

    ``level_columns("function_code", cols) == ["function_class", "function_section", "function_code"]``
    when the table has those columns. Configuration (``hierarchies: {column: [...]}``) wins.
    """
    if configured and column in configured:
        return [c for c in configured[column] if c in columns]
    prefix = column[: -len("_code")] if column.endswith("_code") else column
    candidates = [f"{prefix}_class", f"{prefix}_section", column]
    return [c for c in candidates if c in columns]


class HierarchyFacet(Facet):
    type = "hierarchy"

    async def suggest(self):
        # Runs on every table page: offering it costs nothing, it is configured in metadata.
        return []

    def _table_config(self) -> dict:
        return plugin_config(self.ds, database=self.database, table=self.table)

    def _selected(self, levels: list[str]) -> list[tuple[str, str]]:
        """(level column, value) pairs the request already filters on, top first."""
        args = self.request.args
        selected = []
        for level in levels:
            value = args.get(level) or args.get(f"{level}__exact")
            if value is None:
                break
            selected.append((level, value))
        return selected

    async def facet_results(self):
        facet_results, timed_out = [], []
        try:
            configs = self.get_configs()
        except ValueError:  # JSON that does not parse; the message is validation's
            raise BadRequest(validation.facet_query_error(self.request.query_string) or "Invalid _facet")
        if not configs:
            # Datasette asks every facet class on every table page: cost nothing when unused.
            return facet_results, timed_out
        config = self._table_config()
        columns = await self.get_columns(self.sql, self.params)
        configured = config.get("amount_column")
        amount_column = configured if configured in columns else next(
            (c for c in DEFAULT_AMOUNT_COLUMNS if c in columns), None
        )
        facet_size = self.get_facet_size()
        for source_and_config in configs:
            source = source_and_config["source"]
            try:
                column = validation.facet_column(source_and_config["config"])
            except validation.InvalidParameter as e:
                if source == "request":
                    raise BadRequest(f"_facet_hierarchy: {e.message}")
                continue
            levels = level_columns(column, columns, config.get("hierarchies"))
            if not levels:
                if source == "request":
                    raise BadRequest(
                        f"_facet_hierarchy: {validation.shown(column)} is not a code hierarchy of this table"
                        " (it needs level columns such as function_class, function_section, function_code)."
                    )
                continue
            selected = self._selected(levels)
            depth = min(len(selected), len(levels) - 1)
            group = levels[depth]
            if await self._rollups_apply(column, levels, selected, amount_column):
                # the whole table, no filter: the sums were made at load time
                facet_sql = f"""
                    select code as value, rows as count, {sql_exact(escape_sqlite(amount_column))} as sum
                    from rollups
                    where source = :source and scope = 'all' and hierarchy = :hierarchy
                      and level = :level and (:parent = '' or parent = :parent)
                    order by code
                    limit {facet_size + 1}
                """
                params = {"source": self.table, "hierarchy": column, "level": depth + 1,
                          "parent": selected[-1][1] if selected else ""}
            else:
                sum_sql = sql_sum(escape_sqlite(amount_column)) if amount_column else "null"
                facet_sql = f"""
                    select {escape_sqlite(group)} as value, count(*) as count, {sum_sql} as sum
                    from ({self.sql})
                    where {escape_sqlite(group)} is not null
                    group by {escape_sqlite(group)}
                    order by {escape_sqlite(group)}
                    limit {facet_size + 1}
                """
                params = self.params
            try:
                rows = await self.ds.execute(
                    self.database, facet_sql, params, truncate=False,
                    custom_time_limit=self.ds.setting("facet_time_limit_ms"),
                )
            except QueryInterrupted:
                timed_out.append(column)
                continue
            shown = rows.rows[:facet_size]
            labels = await self._labels(group, [r["value"] for r in shown])
            results = []
            if selected:
                results.append(await self._breadcrumb(selected, levels, rows.rows))
            at_leaf = len(selected) >= len(levels)
            for row in shown:
                results.append({
                    "value": row["value"],
                    "label": labels.get(row["value"], row["value"]),
                    "count": row["count"],
                    "sum": row["sum"],
                    "level": depth + 1,
                    "level_name": LEVEL_NAMES.get(depth + 1),
                    "toggle_url": self.ds.absolute_url(self.request, self.ds.urls.path(
                        path_with_removed_args(self.request, {group: str(row["value"])}) if at_leaf
                        else path_with_added_args(self.request, {group: row["value"]})
                    )),
                    "selected": at_leaf,
                })
            facet_results.append({
                "name": column,
                "type": self.type,
                "hideable": source != "metadata",
                "toggle_url": self.ds.urls.path(
                    path_with_removed_args(self.request, {"_facet_hierarchy": column})
                ),
                "results": results,
                "truncated": len(rows.rows) > facet_size,
                "level": depth + 1,
                "levels": levels,
                "amount_column": amount_column,
            })
        return facet_results, timed_out

    async def _rollups_apply(self, column, levels, selected, amount_column) -> bool:
        """Whether this facet can read the load-time rollups: an unfiltered table (apart from
        the drill itself), a hierarchy and amount they hold, and rollups that are up to date."""
        if amount_column not in rollups.MEASURES or tuple(levels) != rollups.SOURCES.get(self.table, {}).get(column):
            return False
        if len(selected) >= len(levels):
            return False
        args = self.request.args
        for level, _ in selected:
            # one value, in one form: function_class=201&function_class=208 selects no row
            given = args.getlist(level) + args.getlist(f"{level}__exact")
            if len(given) != 1:
                return False
        drill = {level for level, _ in selected} | {f"{level}__exact" for level, _ in selected}
        for key in args:
            if key not in drill and key not in ROW_NEUTRAL_ARGS:
                return False
        db = self.ds.get_database(self.database)
        if not await db.table_exists("rollups"):
            return False
        fresh = await self.ds.execute(self.database, f"select {rollups.FRESH_SQL}")
        return bool(fresh.rows[0][0])

    async def _breadcrumb(self, selected, levels, rows) -> dict:
        """The current level: shows where we are, and its link goes up one level."""
        level, value = selected[-1]
        labels = await self._labels(level, [value])
        up = path_with_removed_args(self.request, {level: value, f"{level}__exact": value})
        return {
            "value": value,
            "label": labels.get(value, value),
            "count": sum(r["count"] for r in rows),
            "sum": _exact_total(r["sum"] for r in rows),
            "level": len(selected),
            "level_name": LEVEL_NAMES.get(len(selected)),
            "toggle_url": self.ds.absolute_url(self.request, self.ds.urls.path(up)),
            "selected": True,
            "breadcrumb": True,
        }

    async def _labels(self, column: str, values: list) -> dict:
        """``{"201": "201 一般公共服务支出"}`` from the code table the column points at.

        Looked up here rather than with ``datasette.expand_foreign_keys``, whose signature
        differs between Datasette 0.65 and 1.0a.
        """
        if not self.table or not values:
            return {}
        db = self.ds.get_database(self.database)
        fks = [fk for fk in await db.foreign_keys_for_table(self.table) if fk["column"] == column]
        if not fks:
            return {}
        other, other_column = fks[0]["other_table"], fks[0]["other_column"]
        label_column = await db.label_column_for_table(other)
        if label_column in (None, other_column):
            # 1.0a reads label_column from its configuration, not metadata.yml
            label_column = "name" if "name" in await db.table_columns(other) else None
        if not label_column:
            return {}
        placeholders = ", ".join("?" for _ in values)
        rows = await self.ds.execute(
            self.database,
            f"select {escape_sqlite(other_column)} as code, {escape_sqlite(label_column)} as label "
            f"from {escape_sqlite(other)} where {escape_sqlite(other_column)} in ({placeholders})",
            list(values),
        )
        names = {r["code"]: r["label"] for r in rows}
        return {v: f"{v} {names[v]}" if names.get(v) else str(v) for v in values}


def _exact_total(values) -> int | float | None:
    from .amounts import yuan_to_decimal

    values = [v for v in values if v is not None]
    if not values:
        return None
    total = sum(yuan_to_decimal(v) for v in values)
    return int(total) if total == total.to_integral_value() else float(total)
