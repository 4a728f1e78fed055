"""What a load did, per file or extract, for the DAG layer and the CLI to read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

LOADED = "loaded"
QUARANTINED = "quarantined"  # the whole file or extract was refused: a contract violation
UNCHANGED = "unchanged"  # the same content was already loaded: nothing written


class ContractViolation(RuntimeError):
    """A silo delivered a file or table that breaks its contract (contracts/SOURCES.md)."""

    def __init__(self, source_system: str, business_date: date, failures: list[FileLoad]):
        self.source_system = source_system
        self.business_date = business_date
        self.failures = failures
        reasons = "; ".join(f"{f.source_name}: {f.message}" for f in failures)
        super().__init__(
            f"{source_system} {business_date}: {len(failures)} source(s) refused whole "
            f"by the contract check: {reasons}"
        )


@dataclass
class FileLoad:
    """One file (or one extracted table) of one business date, as the ledger records it."""

    source_system: str
    business_date: date
    source_name: str  # path relative to the landing zone, or 'billing.accounts'
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    status: str  # LOADED, QUARANTINED or UNCHANGED
    message: str | None = None  # why a refused file was refused
    rows_duplicate: int = 0  # of rows_loaded, those already in the raw layer (kept once)
    ledger_id: int | None = None


@dataclass
class SiloLoadReport:
    """Everything one silo's load did for one business date."""

    source_system: str
    business_date: date
    files: list[FileLoad] = field(default_factory=list)

    @property
    def contract_failures(self) -> list[FileLoad]:
        return [f for f in self.files if f.status == QUARANTINED]

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)

    def raise_for_contract(self) -> None:
        failures = self.contract_failures
        if failures:
            raise ContractViolation(self.source_system, self.business_date, failures)
