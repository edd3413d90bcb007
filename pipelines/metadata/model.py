"""The table registry's building blocks, and everything generated from a declaration.

A table is declared once (see ``tables.py``); its Arrow schema, DuckDB DDL and comments,
Frictionless Table Schema and Markdown data dictionary all come from that one declaration.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pyarrow as pa

# Logical type -> (Arrow type, DuckDB type, Frictionless type)
_TYPES: dict[str, tuple[pa.DataType, str, str]] = {
    "string": (pa.string(), "VARCHAR", "string"),
    "integer": (pa.int64(), "BIGINT", "integer"),
    "number": (pa.float64(), "DOUBLE", "number"),
    "boolean": (pa.bool_(), "BOOLEAN", "boolean"),
    "date": (pa.date32(), "DATE", "date"),
    "datetime": (pa.timestamp("us"), "TIMESTAMP", "datetime"),
}


@dataclass(frozen=True)
class Field:
    """One column, declared once and reused by every table that carries it."""

    name: str
    type: str
    description: str
    required: bool = False
    enum: tuple[str, ...] | None = None
    pattern: str | None = None
    minimum: float | None = None
    maximum: float | None = None

    def __post_init__(self) -> None:
        if self.type not in _TYPES:
            raise ValueError(f"field {self.name}: unknown type {self.type!r}")

    @property
    def arrow_type(self) -> pa.DataType:
        return _TYPES[self.type][0]

    @property
    def duckdb_type(self) -> str:
        return _TYPES[self.type][1]

    def frictionless(self) -> dict:
        constraints: dict = {}
        if self.required:
            constraints["required"] = True
        if self.enum:
            constraints["enum"] = list(self.enum)
        if self.pattern:
            constraints["pattern"] = self.pattern
        if self.minimum is not None:
            constraints["minimum"] = self.minimum
        if self.maximum is not None:
            constraints["maximum"] = self.maximum
        out = {"name": self.name, "type": _TYPES[self.type][2], "description": self.description}
        if self.type == "date":
            out["format"] = "default"
        if constraints:
            out["constraints"] = constraints
        return out


@dataclass(frozen=True)
class Table:
    """One table: its grain, its key and its columns, in the order they are written."""

    name: str
    title: str
    description: str
    grain: str
    primary_key: tuple[str, ...]
    fields: tuple[Field, ...]
    published: bool = True
    title_nb: str = ""
    description_nb: str = ""
    foreign_keys: tuple[tuple[str, str, str], ...] = field(default=())  # (column, table, column)

    def __post_init__(self) -> None:
        names = [f.name for f in self.fields]
        if len(names) != len(set(names)):
            raise ValueError(f"table {self.name}: duplicate column")
        missing = set(self.primary_key) - set(names)
        if missing:
            raise ValueError(f"table {self.name}: primary key columns {missing} not declared")

    @property
    def column_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.name}.{name}")

    # --- generated artefacts -------------------------------------------------
    def arrow_schema(self, nullable: bool = False) -> pa.Schema:
        """The Parquet schema; ``nullable=True`` relaxes NOT NULL for staged rows not yet checked."""
        return pa.schema(
            [pa.field(f.name, f.arrow_type, nullable=nullable or not f.required) for f in self.fields],
            metadata={"description": self.description, "grain": self.grain},
        )

    def duckdb_create(self, qualified_name: str | None = None) -> str:
        cols = ",\n  ".join(
            f'"{f.name}" {f.duckdb_type}{" NOT NULL" if f.required else ""}' for f in self.fields
        )
        return f'CREATE TABLE {qualified_name or self.name} (\n  {cols}\n)'

    def duckdb_comments(self, qualified_name: str | None = None) -> list[str]:
        target = qualified_name or self.name
        statements = [f"COMMENT ON TABLE {target} IS {_sql_str(self.comment)}"]
        statements += [
            f'COMMENT ON COLUMN {target}."{f.name}" IS {_sql_str(f.description)}' for f in self.fields
        ]
        return statements

    @property
    def comment(self) -> str:
        return f"{self.description} Grain: {self.grain}"

    def table_schema(self) -> dict:
        """Frictionless Table Schema (v2)."""
        schema: dict = {"fields": [f.frictionless() for f in self.fields]}
        if self.primary_key:
            schema["primaryKey"] = list(self.primary_key)
        return schema

    def markdown(self) -> str:
        lines = [
            f"### `{self.name}`: {self.title}",
            "",
            self.description,
            "",
            f"*Grain:* {self.grain} *Primary key:* `{', '.join(self.primary_key)}`",
            "",
            "| column | type | description |",
            "|---|---|---|",
        ]
        lines += [f"| `{f.name}` | {f.type} | {f.description.replace('|', '/')} |" for f in self.fields]
        return "\n".join(lines) + "\n"

    def with_fields(self, fields: tuple[Field, ...], **changes) -> "Table":
        return replace(self, fields=fields, **changes)


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
