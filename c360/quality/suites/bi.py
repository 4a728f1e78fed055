"""The BI layer: every published fact's keys join their dimensions, every grain is unique.

One row per (relation, check): for a key column, the rows whose non-NULL key finds no row
in the dimension it names (or in customer_360); for a grain, the rows beyond one per grain
key. Both must be nought before the facts and dimensions are published
(docs/bi-layer.md).
"""

from __future__ import annotations

import great_expectations.expectations as gxe

from c360.orchestration.pipeline import GOLDEN_RECORD
from c360.quality.checks import Check
from c360.quality.contract import CUSTOMER_360, CUSTOMER_ID
from c360.quality.thresholds import Thresholds

# Each dimension and the column its rows are keyed by.
DIMENSIONS = {
    "dim_date": "date_key",
    "dim_product_line": "product_line",
    "dim_store": "store_code",
    "dim_channel": "channel",
    "dim_segment": "segment",
}
# Each fact, the column of its grain, and its keys: column -> (relation, column joined).
FACTS = {
    "fct_purchase_lines": ("purchase_line_id", {
        "date_key": ("marts.dim_date", "date_key"), "channel": ("marts.dim_channel", "channel"),
        "store_code": ("marts.dim_store", "store_code"),
        "product_line": ("marts.dim_product_line", "product_line"),
        CUSTOMER_ID: (CUSTOMER_360, CUSTOMER_ID)}),
    "fct_contact_interactions": ("interaction_id", {
        "date_key": ("marts.dim_date", "date_key"), "channel": ("marts.dim_channel", "channel"),
        CUSTOMER_ID: (CUSTOMER_360, CUSTOMER_ID)}),
    "fct_web_sessions": ("session_id", {
        "date_key": ("marts.dim_date", "date_key"), "channel": ("marts.dim_channel", "channel"),
        "store_code": ("marts.dim_store", "store_code"),
        "product_line": ("marts.dim_product_line", "product_line"),
        CUSTOMER_ID: (CUSTOMER_360, CUSTOMER_ID)}),
    "fct_invoices": ("invoice_id", {
        "date_key": ("marts.dim_date", "date_key"), "due_date_key": ("marts.dim_date", "date_key"),
        "channel": ("marts.dim_channel", "channel"),
        "product_line": ("marts.dim_product_line", "product_line"),
        CUSTOMER_ID: (CUSTOMER_360, CUSTOMER_ID)}),
    "fct_invoice_payments": ("payment_id", {
        "date_key": ("marts.dim_date", "date_key"), "channel": ("marts.dim_channel", "channel"),
        "product_line": ("marts.dim_product_line", "product_line"),
        CUSTOMER_ID: (CUSTOMER_360, CUSTOMER_ID)}),
}
# Relations outside the BI layer whose keys name a BI dimension.
KEYED_ELSEWHERE = {"marts.customer_segments": {"segment": ("marts.dim_segment", "segment")}}
BI_TABLES = (*FACTS, *DIMENSIONS)


def _unjoined(relation: str, column: str, dimension: str, key: str) -> str:
    return (f"select '{relation}:{column}' as row_key, count(*) as unjoined_rows, 0 as extra_rows"
            f" from {relation} as f where f.{column} is not null and not exists"
            f" (select from {dimension} as d where d.{key} = f.{column})")


def _extra(relation: str, grain: str) -> str:
    return (f"select '{relation}:{grain}' as row_key, 0 as unjoined_rows,"
            f" count(*) - count(distinct {grain}) as extra_rows from {relation}")


def keys_and_grains() -> str:
    keyed = {f"marts.{fact}": keys for fact, (_, keys) in FACTS.items()} | KEYED_ELSEWHERE
    grains = {f"marts.{fact}": grain for fact, (grain, _) in FACTS.items()} | {
        f"marts.{dim}": key for dim, key in DIMENSIONS.items()}
    return " union all ".join(
        [_unjoined(relation, column, *target) for relation, keys in keyed.items()
         for column, target in keys.items()]
        + [_extra(relation, grain) for relation, grain in grains.items()])


def checks(t: Thresholds) -> list[Check]:
    return [
        Check(
            name=f"{GOLDEN_RECORD}__bi_keys", owner=GOLDEN_RECORD, suite="bi_layer",
            query=keys_and_grains(),
            expectations=[
                gxe.ExpectColumnValuesToBeBetween(
                    column="unjoined_rows", min_value=0, max_value=0,
                    description="every key of a published fact joins its dimension (or customer_360)"),
                gxe.ExpectColumnValuesToBeBetween(
                    column="extra_rows", min_value=0, max_value=0,
                    description="one row per grain key in every fact and dimension"),
            ],
        ),
    ]
