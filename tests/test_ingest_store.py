"""Store loads: POS files per store and loyalty member changes, comma-delimited with LF."""

from __future__ import annotations

from pathlib import Path

from c360.ingest.contract_files import file_silo
from tests.ingest_helpers import DAY, assert_balanced, fetch, ledger, quarantine, write_delimited

store = file_silo("store")
POS_LINES = store.dataset("pos_lines")
LOYALTY_MEMBERS = store.dataset("loyalty_members")

FOLDER = f"store/{DAY}"


def pos_line(receipt: str, line_no: int, **changes: str) -> list[str]:
    row = {
        "receipt_id": receipt, "line_no": str(line_no), "store_code": "NL-AMS-01",
        "sold_at": "2026-11-21 14:03:12", "sku": "SKU-1", "product_line": "heating",
        "quantity": "2", "unit_price": "19.95", "discount": "0", "loyalty_card": "",
        "payment_method": "card",
    }
    row.update(changes)
    return list(row.values())


def member(card: str, **changes: str) -> list[str]:
    row = {
        "card_number": card, "first_name": "Anna", "last_name": "de Vries",
        "email": "anna@example.nl", "phone": "0612345678", "postal_code": "1234 AB",
        "house_number": "12A", "birth_date": "1980-02-29", "marketing_opt_in": "Y",
        "enrolled_at": "2026-11-21 10:00:00", "updated_at": "2026-11-21 10:00:00",
    }
    row.update(changes)
    return list(row.values())


def write_pos(landing: Path, store_code: str, rows, header=POS_LINES.columns) -> Path:
    return write_delimited(landing / FOLDER / f"pos_{store_code}.csv", header, rows)


def write_members(landing: Path, rows, header=LOYALTY_MEMBERS.columns) -> Path:
    return write_delimited(landing / FOLDER / "loyalty_members.csv", header, rows)


def test_pos_files_of_every_store_load_and_bad_values_are_quarantined(warehouse_dsn, tmp_path):
    write_pos(tmp_path, "NL-AMS-01", [
        pos_line("R1", 1, loyalty_card="8712345678901"),
        pos_line("R1", 2, quantity="-1"),  # a return
        pos_line("R2", 1, sold_at="21-11-2026 14:03:12"),
        pos_line("R3", 1, quantity="1.5"),
        pos_line("R4", 1, unit_price="19,95"),
        pos_line("R5", 1, payment_method="cheque"),
    ])
    write_pos(tmp_path, "BE-GNT-02", [pos_line("R1", 1, store_code="BE-GNT-02")])
    report = store.load_business_date(warehouse_dsn, tmp_path, DAY)
    assert [(f.source_name, f.rows_read, f.rows_loaded, f.rows_quarantined) for f in report.files] == [
        (f"{FOLDER}/pos_BE-GNT-02.csv", 1, 1, 0), (f"{FOLDER}/pos_NL-AMS-01.csv", 6, 2, 4)]
    assert [reason for *_, reason in quarantine(warehouse_dsn, "store")] == [
        "sold_at: '21-11-2026 14:03:12' is not a valid YYYY-MM-DD HH:MM:SS",
        "quantity: '1.5' is not an integer",
        "unit_price: '19,95' is not a decimal number with a dot",
        "payment_method: 'cheque' is not one of cash, card, mobile, voucher",
    ]
    assert fetch(warehouse_dsn, "select receipt_id, line_no, quantity, loyalty_card "
                                "from raw_store.pos_lines where store_code = 'NL-AMS-01' "
                                "order by 1, 2") == [
        ("R1", "1", "2", "8712345678901"), ("R1", "2", "-1", None)]
    assert_balanced(warehouse_dsn, "raw_store.pos_lines", "store")


def test_loyalty_members_parse_but_implausible_values_are_loaded(warehouse_dsn, tmp_path):
    write_members(tmp_path, [
        member("8712345678901"),
        member("8712345678902", birth_date="2099-01-01", email="no-at-sign"),  # loaded
        member("8712345678903", birth_date=""),  # unknown birth date: loaded
        member("8712345678904", birth_date="1981-02-29"),  # no such day
        member("8712345678905", marketing_opt_in="J"),
        member("", updated_at="2026-11-21 25:00:00"),
    ])
    [loaded] = store.load_business_date(warehouse_dsn, tmp_path, DAY).files
    assert (loaded.rows_read, loaded.rows_loaded, loaded.rows_quarantined) == (6, 3, 3)
    assert [reason for *_, reason in quarantine(warehouse_dsn, "store")] == [
        "birth_date: '1***-0*-2*' is not a valid YYYY-MM-DD",  # personal: masked
        "marketing_opt_in: 'J' is not one of Y, N",
        "card_number: empty, expected a value; "
        "updated_at: '2026-11-21 25:00:00' is not a valid YYYY-MM-DD HH:MM:SS",
    ]
    assert_balanced(warehouse_dsn, "raw_store.loyalty_members", "store")


def test_one_refused_file_does_not_stop_the_others(warehouse_dsn, tmp_path):
    header = [c for c in LOYALTY_MEMBERS.columns if c != "marketing_opt_in"]
    write_members(tmp_path, [member("8712345678901")[:-3] + member("x")[-2:]], header=header)
    write_pos(tmp_path, "NL-AMS-01", [pos_line("R1", 1)])
    report = store.load_business_date(warehouse_dsn, tmp_path, DAY)
    assert [f.source_name for f in report.contract_failures] == [f"{FOLDER}/loyalty_members.csv"]
    assert report.contract_failures[0].message == (
        "header missing required column(s): marketing_opt_in")
    assert ledger(warehouse_dsn, "store") == [
        (f"{FOLDER}/loyalty_members.csv", 1, 0, 1, 0, "quarantined"),
        (f"{FOLDER}/pos_NL-AMS-01.csv", 1, 1, 0, 0, "loaded"),
    ]
