"""The gate's results as a rich table, for `c360 gate`."""

from __future__ import annotations

from rich.table import Table

from c360.quality.results import GateResult


def results_table(result: GateResult, show_all: bool = False) -> Table:
    """Blocking failures first, then warnings; passed expectations only when `show_all`."""
    shown = sorted(
        (o for o in result.outcomes if show_all or not o.success),
        key=lambda o: (o.success, not o.blocking, o.owner, o.validation),
    )
    passed = sum(o.success for o in result.outcomes)
    table = Table(title=f"quality gate {result.business_date}: {passed} of {len(result.outcomes)} passed")
    for column in ("owner", "validation", "expectation", "result", "failing / checked", "examples"):
        table.add_column(column)
    for o in shown:
        failing = "" if o.unexpected_count is None else f"{o.unexpected_count} / {o.rows_checked}"
        if o.error:
            failing = o.error.splitlines()[0]
        examples = "; ".join(" ".join(str(v) for v in row.values()) for row in o.examples[:3])
        table.add_row(
            o.owner, o.validation, o.rule,
            "[green]pass[/]" if o.success else "[bold red]FAIL[/]" if o.blocking else "[yellow]warn[/]",
            failing, examples,
        )
    return table
