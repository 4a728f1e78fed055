"""A stand-in for Metabase's HTTP API: the endpoints c360's provisioning calls, over real HTTP.

It keeps what it is told in memory, answers in Metabase's shapes (the setup token until the
first admin exists, `{"data": [...]}` for databases, dashcards inside the dashboard), refuses
what Metabase refuses (a wrong setup token, a wrong password, no session, a card without its
query or display, a dashcard without its place) and records every request.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HIDDEN_PASSWORD = "**MetabasePass**"


class Refused(Exception):
    def __init__(self, status: int, errors: object) -> None:
        super().__init__(errors)
        self.status, self.errors = status, errors


@dataclass
class MetabaseState:
    setup_token: str = field(default_factory=lambda: str(uuid.uuid4()))
    admin: tuple[str, str] | None = None
    sessions: set[str] = field(default_factory=set)
    databases: dict[int, dict] = field(default_factory=dict)
    cards: dict[int, dict] = field(default_factory=dict)
    dashboards: dict[int, dict] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    next_id: int = 1

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def writes(self) -> list[tuple[str, str]]:
        """Requests that change something (a login only opens a session)."""
        return [(m, p) for m, p in self.requests if m != "GET" and p != "/api/session"]


def _require(body: dict, *keys: str) -> None:
    missing = {key: "value must be present" for key in keys if body.get(key) in (None, "")}
    if missing:
        raise Refused(400, missing)


def _new_session(state: MetabaseState) -> dict:
    session = str(uuid.uuid4())
    state.sessions.add(session)
    return {"id": session}


def _public(state: MetabaseState, method: str, path: str, body: dict):
    if (method, path) == ("GET", "/api/session/properties"):
        return {"has-user-setup": state.admin is not None,
                "setup-token": None if state.admin else state.setup_token}
    if (method, path) == ("POST", "/api/setup"):
        if state.admin is not None:
            raise Refused(403, "The /api/setup route can only be used to create the first user.")
        if body.get("token") != state.setup_token:
            raise Refused(403, {"token": "Token does not match the setup token."})
        user = body.get("user") or {}
        _require(user, "email", "password")
        _require(body.get("prefs") or {}, "site_name")
        state.admin = (user["email"], user["password"])
        return _new_session(state)
    if (method, path) == ("POST", "/api/session"):
        _require(body, "username", "password")
        if state.admin != (body["username"], body["password"]):
            raise Refused(401, {"password": "did not match stored password"})
        return _new_session(state)
    return None


def _database(state: MetabaseState, method: str, db_id: int | None, body: dict):
    if db_id is None and method == "GET":
        return {"data": [{k: v for k, v in db.items() if k != "details"} for db in state.databases.values()],
                "total": len(state.databases)}
    if db_id is None and method == "POST":
        _require(body, "name", "engine", "details")
        if body["engine"] != "postgres":
            raise Refused(400, {"engine": "value must be a valid database engine."})
        _require(body["details"], "host", "dbname", "user", "password")
        db_id = state.new_id()
        state.databases[db_id] = {"id": db_id, "name": body["name"], "engine": body["engine"],
                                  "details": dict(body["details"])}
    elif db_id not in state.databases:
        raise Refused(404, "Not found.")
    elif method == "PUT":
        state.databases[db_id].update({k: body[k] for k in ("name", "engine") if k in body})
        if "details" in body:
            state.databases[db_id]["details"] = dict(body["details"])
    db = state.databases[db_id]
    return db | {"details": db["details"] | {"password": HIDDEN_PASSWORD}}


def _card(state: MetabaseState, method: str, card_id: int | None, body: dict):
    if card_id is None and method == "GET":
        return list(state.cards.values())
    if card_id is None and method == "POST":
        _require(body, "name", "dataset_query", "display", "visualization_settings")
        if body["dataset_query"].get("database") not in state.databases:
            raise Refused(400, {"dataset_query": "the query's database does not exist"})
        card_id = state.new_id()
        state.cards[card_id] = body | {"id": card_id, "archived": False}
    elif card_id not in state.cards:
        raise Refused(404, "Not found.")
    elif method == "PUT":
        state.cards[card_id].update(body)
    return state.cards[card_id]


def _dashboard(state: MetabaseState, method: str, dashboard_id: int | None, body: dict):
    if dashboard_id is None and method == "GET":
        return [{k: v for k, v in d.items() if k != "dashcards"} for d in state.dashboards.values()]
    if dashboard_id is None and method == "POST":
        _require(body, "name")
        dashboard_id = state.new_id()
        state.dashboards[dashboard_id] = {"id": dashboard_id, "name": body["name"], "archived": False,
                                          "description": body.get("description"), "dashcards": [],
                                          "tabs": []}
    elif dashboard_id not in state.dashboards:
        raise Refused(404, "Not found.")
    elif method == "PUT":
        dashboard = state.dashboards[dashboard_id]
        if "description" in body:
            dashboard["description"] = body["description"]
        if "tabs" in body:
            for tab in body["tabs"]:
                _require(tab, "id", "name")
            dashboard["tabs"] = [dict(tab) for tab in body["tabs"]]
        if "dashcards" in body:
            dashboard["dashcards"] = _dashcards(state, dashboard, body["dashcards"])
    return state.dashboards[dashboard_id]


def _dashcards(state: MetabaseState, dashboard: dict, wanted: list[dict]) -> list[dict]:
    ids = [dashcard.get("id") for dashcard in wanted]
    if len(set(ids)) != len(ids):
        raise Refused(400, {"dashcards": "value must be seq of maps in which ids are unique"})
    current = {dashcard["id"] for dashcard in dashboard["dashcards"]}
    result = []
    for dashcard in wanted:
        _require(dashcard, "id", "row", "col", "size_x", "size_y")
        if dashcard["id"] > 0 and dashcard["id"] not in current:
            raise Refused(400, {"dashcards": f"dashcard {dashcard['id']} is not on this dashboard"})
        if dashcard.get("card_id") is not None and dashcard["card_id"] not in state.cards:
            raise Refused(400, {"dashcards": f"card {dashcard['card_id']} does not exist"})
        tabs = {tab["id"] for tab in dashboard["tabs"]}
        if tabs and dashcard.get("dashboard_tab_id") not in tabs:
            raise Refused(400, {"dashcards": "a dashcard of a dashboard with tabs needs one of them"})
        result.append(dashcard | {"id": dashcard["id"] if dashcard["id"] > 0 else state.new_id()})
    return result


RESOURCES = {"database": _database, "card": _card, "dashboard": _dashboard}
ROUTE = re.compile(r"^/api/(database|card|dashboard)(?:/(\d+))?$")


def answer(state: MetabaseState, method: str, path: str, session: str | None, body: dict):
    public = _public(state, method, path, body)
    if public is not None:
        return public
    if session not in state.sessions:
        raise Refused(401, "Unauthenticated")
    route = ROUTE.match(path)
    if route is None:
        raise Refused(404, "API endpoint does not exist.")
    resource, number = route.groups()
    return RESOURCES[resource](state, method, int(number) if number else None, body)


def _handler(state: MetabaseState, lock: threading.Lock) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            path = self.path.split("?", 1)[0].rstrip("/")
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else {}
            with lock:
                state.requests.append((self.command, path))
                try:
                    status, result = 200, answer(state, self.command, path,
                                                 self.headers.get("X-Metabase-Session"), body)
                except Refused as exc:
                    status, result = exc.status, {"errors": exc.errors}
            payload = json.dumps(result).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = _serve

        def log_message(self, *_args) -> None:
            pass

    return Handler


@contextmanager
def metabase_standin() -> Iterator[tuple[str, MetabaseState]]:
    """A stand-in Metabase on a free loopback port: (its URL, its state)."""
    state = MetabaseState()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state, threading.Lock()))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()
