"""Tables the commands print: wrapped to the terminal, never cut."""

from __future__ import annotations

from rich.table import Table

__all__ = ["wrapping_table"]


def wrapping_table(title: str, *columns: str) -> Table:
    """A table that fits a narrow terminal by wrapping its cells, never by cutting them to an ellipsis.

    The ``url`` column does not wrap, so a URL stays whole (to copy); the other columns make room.
    Long texts (an engine's detail) go below the table, by ``_print_details``: as one more column
    they left every column a few characters wide at 80 columns.
    """
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold", no_wrap=column == "url")
    return table
