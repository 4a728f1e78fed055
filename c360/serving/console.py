"""A lookup's answer on the terminal (`c360 lookup`): the summary an agent reads first."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

# The 360's columns an agent needs first: service before sales.
SUMMARY = (
    "customer_id", "country_code", "open_issue_count", "complaint_count", "last_contact_date",
    "total_revenue", "rfm_score", "predicted_clv_12m", "last_purchase_date", "engagement_score",
    "marketing_consent",
)


def print_answer(console: Console, kind: str, answer: dict[str, Any]) -> None:
    if answer.get("restricted"):
        console.print("restricted customer: processing is restricted, nothing more may be shown")
    elif answer["result"] == "none":
        console.print(f"no customer holds this {kind}")
    elif answer["result"] == "invalid":
        console.print(answer["message"])
    elif answer["result"] == "candidates":
        table = Table(title=f"this {kind} is shared: ask which of them is calling")
        for column in ("customer_id", "first name", "born"):
            table.add_column(column)
        for candidate in answer["candidates"]:
            if candidate.get("restricted"):
                table.add_row("(restricted)", "", "")
            else:
                table.add_row(candidate["customer_id"], candidate["first_name"] or "",
                              str(candidate["birth_year"] or ""))
        console.print(table)
    else:
        customer = answer["customer"]
        table = Table(show_header=False, title="customer")
        for column in SUMMARY:
            table.add_row(column, str(customer.get(column)))
        table.add_row("segments", ", ".join(answer["segments"]) or "none")
        for propensity in answer.get("propensities", []):
            table.add_row("propensity", ", ".join(f"{k} {v}" for k, v in propensity.items()))
        if answer.get("next_best_activity"):
            table.add_row("next best activity",
                          ", ".join(f"{k} {v}" for k, v in answer["next_best_activity"].items()))
        console.print(table)
