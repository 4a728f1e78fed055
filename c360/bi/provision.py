"""Provision Metabase: its admin, the warehouse as bi_reader, and the starter dashboard.

Idempotent: everything is found by name, and only what differs from the declaration
(config/metabase.yml) is written, so a second run changes nothing. A card already on the
dashboard keeps the place a user gave it; a declared card that is missing is put below it all.
"""

from __future__ import annotations

from c360.bi.cards import Card, DashboardSpec
from c360.bi.metabase import Metabase, Target, Warehouse

DATABASE_NAME = "c360 warehouse"
# Metabase's dashboard grid is 24 columns wide: two cards to a row.
CARD_WIDTH = 12
CARD_HEIGHT = 6
# What PUT /api/dashboard/:id takes of a dashcard the provisioning leaves as it is.
DASHCARD_FIELDS = ("id", "card_id", "dashboard_tab_id", "row", "col", "size_x", "size_y",
                   "parameter_mappings", "series", "visualization_settings")


def provision(target: Target, spec: DashboardSpec) -> list[str]:
    """Bring Metabase to the declaration; returns what was changed, empty when nothing was."""
    changes: list[str] = []
    with Metabase(target.url) as metabase:
        if metabase.log_in(target.admin_email, target.admin_password):
            changes.append(f"admin {target.admin_email} created")
        database_id = _database(metabase, target.warehouse, changes)
        existing = {card["name"]: card for card in metabase.call("GET", "/api/card/", params={"f": "all"})
                    if not card.get("archived")}
        card_ids = [_card(metabase, card, existing.get(card.name), database_id, changes)
                    for card in spec.cards]
        _dashboard(metabase, spec, card_ids, changes)
    return changes


def _database(metabase: Metabase, warehouse: Warehouse, changes: list[str]) -> int:
    listed = metabase.call("GET", "/api/database/")
    found = [db for db in listed["data"] if db["name"] == DATABASE_NAME]
    wanted = {"name": DATABASE_NAME, "engine": "postgres", "details": warehouse.details()}
    where = f"{warehouse.host}:{warehouse.port}/{warehouse.dbname} as {warehouse.user}"
    if not found:
        changes.append(f"database {DATABASE_NAME!r} added ({where})")
        return metabase.call("POST", "/api/database/", wanted)["id"]
    current = metabase.call("GET", f"/api/database/{found[0]['id']}")
    details = current.get("details") or {}
    # Metabase never shows the stored password; it is written with any other change.
    if current.get("engine") != "postgres" or any(str(details.get(key)) != str(value)
                                                  for key, value in wanted["details"].items()
                                                  if key != "password"):
        metabase.call("PUT", f"/api/database/{current['id']}", wanted)
        changes.append(f"database {DATABASE_NAME!r} now reaches {where}")
    return current["id"]


def _card_body(card: Card, database_id: int) -> dict:
    return {
        "name": card.name,
        "description": card.description or None,
        "display": card.display,
        "visualization_settings": card.visualization_settings(),
        "dataset_query": {"database": database_id, "type": "native",
                          "native": {"query": card.sql, "template-tags": {}}},
    }


def _card_differs(current: dict, wanted: dict) -> bool:
    query, wanted_query = current.get("dataset_query") or {}, wanted["dataset_query"]
    settings = current.get("visualization_settings") or {}
    return (current.get("display") != wanted["display"]
            or (current.get("description") or None) != wanted["description"]
            or query.get("type") != "native" or query.get("database") != wanted_query["database"]
            or (query.get("native") or {}).get("query") != wanted_query["native"]["query"]
            or any(settings.get(key) != value for key, value in wanted["visualization_settings"].items()))


def _card(metabase: Metabase, card: Card, current: dict | None, database_id: int, changes: list[str]) -> int:
    wanted = _card_body(card, database_id)
    if current is None:
        changes.append(f"card {card.name!r} created")
        return metabase.call("POST", "/api/card/", wanted)["id"]
    if _card_differs(current, wanted):
        metabase.call("PUT", f"/api/card/{current['id']}", wanted)
        changes.append(f"card {card.name!r} updated")
    return current["id"]


def _dashboard(metabase: Metabase, spec: DashboardSpec, card_ids: list[int], changes: list[str]) -> None:
    found = [d for d in metabase.call("GET", "/api/dashboard/", params={"f": "all"})
             if d["name"] == spec.name and not d.get("archived")]
    description = spec.description or None
    if found:
        dashboard_id = found[0]["id"]
    else:
        dashboard_id = metabase.call("POST", "/api/dashboard/",
                                     {"name": spec.name, "description": description})["id"]
        changes.append(f"dashboard {spec.name!r} created")
    dashboard = metabase.call("GET", f"/api/dashboard/{dashboard_id}")
    current = dashboard.get("dashcards") or []
    placed = {dashcard.get("card_id") for dashcard in current}
    missing = [card_id for card_id in card_ids if card_id not in placed]
    update: dict = {}
    if (dashboard.get("description") or None) != description:
        update["description"] = description
    if missing:
        update |= _placed(dashboard, missing)
    if update:
        metabase.call("PUT", f"/api/dashboard/{dashboard_id}", update)
        changes.append(f"dashboard {spec.name!r}: " + ", ".join(
            (["description updated"] if "description" in update else [])
            + ([f"{len(missing)} card(s) placed"] if missing else [])))


def _placed(dashboard: dict, card_ids: list[int]) -> dict:
    """The dashboard's dashcards and tabs with `card_ids` placed below its cards, in that order."""
    current = dashboard.get("dashcards") or []
    kept = [{key: dashcard[key] for key in DASHCARD_FIELDS if key in dashcard} for dashcard in current]
    below = max((dashcard["row"] + dashcard["size_y"] for dashcard in current), default=0)
    # tabs a user added are sent back as they are, so the update keeps them; new cards go on the first
    tabs = [{"id": tab["id"], "name": tab["name"]} for tab in dashboard.get("tabs") or []]
    on_tab = {"dashboard_tab_id": tabs[0]["id"]} if tabs else {}
    # a negative id asks Metabase for a new dashcard
    placed = [{"id": -(k + 1), "card_id": card_id, "row": below + (k // 2) * CARD_HEIGHT,
               "col": (k % 2) * CARD_WIDTH, "size_x": CARD_WIDTH, "size_y": CARD_HEIGHT,
               "parameter_mappings": []} | on_tab
              for k, card_id in enumerate(card_ids)]
    return {"dashcards": kept + placed, "tabs": tabs}
