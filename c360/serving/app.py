"""The lookup's HTTP API: `POST /lookup` with `{"phone": "06 1234 5678"}` (or email, card,
account) and `Authorization: Bearer <token>`; the answer is lookup.py's, as JSON.

The key travels in the body, not the URL, so that no access log or proxy keeps it.
Tokens and the optional published relations are read again every REFRESH_SECONDS:
a new or replaced token works, and a revoked one stops working, within that time.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import asynccontextmanager

from fastapi import FastAPI, Header
from fastapi.responses import JSONResponse, Response
from psycopg_pool import AsyncConnectionPool
from pydantic import BaseModel

from c360.config import Settings, load_settings
from c360.privacy.keys import privacy_key
from c360.serving.keys import KINDS
from c360.serving.lookup import INVALID_SQL, OPTIONAL, OPTIONAL_SQL, STATUS, lookup_dsn, lookup_sql, prepare
from c360.serving.tokens import ACTIVE_TOKENS_SQL, bearer_system

REFRESH_SECONDS = 30.0
POOL_SIZE = 8


class LookupRequest(BaseModel):
    phone: str | None = None
    email: str | None = None
    card: str | None = None
    account: str | None = None


class Catalog:
    """The token hashes and the lookup statement, read again when older than REFRESH_SECONDS."""

    def __init__(self) -> None:
        self.tokens: dict[str, str] = {}
        self.statement = lookup_sql(())
        self.read_at = float("-inf")
        self.lock = asyncio.Lock()

    async def current(self, pool: AsyncConnectionPool) -> Catalog:
        if time.monotonic() - self.read_at < REFRESH_SECONDS:
            return self
        async with self.lock:
            if time.monotonic() - self.read_at >= REFRESH_SECONDS:
                async with pool.connection() as conn:
                    tokens = await (await conn.execute(ACTIVE_TOKENS_SQL)).fetchall()
                    optional = await (await conn.execute(OPTIONAL_SQL, (list(OPTIONAL),))).fetchall()
                self.tokens = dict(tokens)
                self.statement = lookup_sql(tuple(name for (name,) in optional))
                self.read_at = time.monotonic()
        return self


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    secret = privacy_key(settings)
    pool = AsyncConnectionPool(lookup_dsn(settings), min_size=POOL_SIZE, max_size=POOL_SIZE, open=False,
                               kwargs={"autocommit": True})
    catalog = Catalog()

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        await pool.open(wait=True)
        try:
            yield
        finally:
            await pool.close()

    app = FastAPI(title="c360 lookup", lifespan=lifespan, docs_url=None, redoc_url=None)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/lookup")
    async def lookup(request: LookupRequest, authorization: str | None = Header(default=None)) -> Response:
        current = await catalog.current(pool)
        caller = bearer_system(authorization, current.tokens)
        if caller is None:
            return JSONResponse({"detail": "a valid bearer token is required"}, status_code=401,
                                headers={"WWW-Authenticate": "Bearer"})
        given = [(kind, value) for kind in KINDS if (value := getattr(request, kind)) is not None]
        if len(given) != 1:
            return JSONResponse({"detail": f"give exactly one of {', '.join(KINDS)}"}, status_code=422)
        valid, params = prepare(*given[0], secret, caller)
        async with pool.connection() as conn:
            cursor = await conn.execute(current.statement if valid else INVALID_SQL, params)
            result, body = await cursor.fetchone()
        return Response(body, status_code=STATUS[result], media_type="application/json")

    return app
