"""The hub's HTTP API: a Starlette app, JSON in and out, every route under /v1 (docs/SYNC.md,
"The hub's API"). `hub serve` runs it on uvicorn with TLS; nothing here listens by itself.

Each request: the per-address rate limit, then (except joining) the device's Bearer token and the
per-device limit, then one unit of work on a pooled PostgreSQL connection, off the event loop.
A refusal is `{"error": "<plain words>"}` with its status, and is audited when it says so. Any
other failure is logged here and answered with a fixed sentence: never a traceback."""
from __future__ import annotations

import base64
import contextlib
import json
import logging
import math
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import psycopg
import psycopg_pool
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from keyworker.hub import enrol, keys, snapshots, store
from keyworker.hub.auth import Device, audit, authenticate
from keyworker.hub.db import open_pool
from keyworker.hub.errors import Refused, bad_request
from keyworker.hub.ratelimit import Limit, RateLimiter

log = logging.getLogger("keyworker.hub")

MAX_BODY_BYTES = 64 * 1024 * 1024   # a push; a join is far smaller
JOIN_MAX_BODY_BYTES = 64 * 1024
DATABASE_DOWN = "The hub cannot reach its database just now: try again in a minute"
INTERNAL = "The hub hit a problem it did not expect: try again later"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class HubConfig:
    conninfo: str
    device_limit: Limit = field(default_factory=lambda: Limit.per_second(20))
    address_limit: Limit = field(default_factory=lambda: Limit.per_second(50))
    clock: Callable[[], datetime] = utc_now
    pool_size: int = 10


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body, separators=(",", ":")).encode(), status_code=status,
                    media_type="application/json", headers=headers)


def create_app(config: HubConfig) -> Starlette:
    by_device = RateLimiter(config.device_limit)
    by_address = RateLimiter(config.address_limit)
    state: dict[str, psycopg_pool.ConnectionPool] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state["pool"] = await run_in_threadpool(open_pool, config.conninfo, max_size=config.pool_size)
        try:
            yield
        finally:
            await run_in_threadpool(state["pool"].close)

    def write_audit(r: Refused, address: str | None, now: datetime) -> None:
        try:
            with state["pool"].connection() as conn:
                audit(conn, r.action or "refused", at=now, unit_id=r.unit_id, device_id=r.device_id,
                      address=address, detail=f"{r.status} {r.detail}".strip())
        except Exception:  # noqa: BLE001 - the refusal is answered even if its audit row cannot be written
            log.exception("could not audit a refused request (%s)", r.action)

    def route(work: Callable[..., Any], *, signed_in: bool = True, status: int = 200,
              max_body: int = MAX_BODY_BYTES) -> Callable[..., Any]:
        """Wrap `work(conn, [device,] body, request, address, now)`: the limits, the sign-in, then the
        work, with database calls and JSON (which can be megabytes) off the event loop."""
        async def endpoint(request: Request) -> Response:
            address = request.client.host if request.client else None
            now = config.clock()
            try:
                wait = by_address.take(address or "-")
                if wait:
                    raise Refused(429, "Too many requests from this address: wait a moment and try again",
                                  action="refused.rate_limited_address" if by_address.should_report(address or "-")
                                  else None, headers={"Retry-After": str(math.ceil(wait))})
                # Signed in before the body is read: a stranger cannot make the hub take in megabytes.
                device = await run_in_threadpool(sign_in, request, now) if signed_in else None
                raw = await _read_body(request, max_body) if request.method == "POST" else b""
                body = await run_in_threadpool(unit_of_work, device, request, raw, address, now)
                return Response(body, status_code=status, media_type="application/json")
            except Refused as r:
                if r.action:
                    await run_in_threadpool(write_audit, r, address, now)
                return json_response({"error": r.message}, r.status, r.headers)
            except (psycopg.OperationalError, psycopg_pool.PoolTimeout):
                log.exception("database unreachable")
                return json_response({"error": DATABASE_DOWN}, 503, {"Retry-After": "30"})

        def unit_of_work(device: Device | None, request: Request, raw: bytes, address: str | None,
                         now: datetime) -> bytes:
            body = _parse_json(raw) if request.method == "POST" else {}
            with state["pool"].connection() as conn:
                result = work(conn, body, request, address, now) if device is None else \
                    work(conn, device, body, request, address, now)
            return json.dumps(result, separators=(",", ":")).encode()

        return endpoint

    def sign_in(request: Request, now: datetime) -> Device:
        with state["pool"].connection() as conn:
            device = authenticate(conn, request.headers.get("authorization"), now)
        key = str(device.device_id)
        wait = by_device.take(key)
        if wait:
            raise Refused(429, "This laptop is sending too many requests: wait a moment and try again",
                          action="refused.rate_limited_device" if by_device.should_report(key) else None,
                          unit_id=device.unit_id, device_id=device.device_id,
                          headers={"Retry-After": str(math.ceil(wait))})
        return device

    def health(conn: psycopg.Connection, body: dict, request: Request, address: str | None, now: datetime) -> Any:
        conn.execute("SELECT 1")
        return {"ok": True}

    def push(conn: psycopg.Connection, device: Device, body: dict, request: Request, address: str | None,
             now: datetime) -> Any:
        ops, head = store.parse_push(body, device)
        result = store.push(conn, device, ops, head, now, address)
        held = None if result.chain_head is None else {"seq": result.chain_head.seq, "hash": result.chain_head.hash}
        return {"acks": [{"op_id": str(op_id), "unit_seq": seq} for op_id, seq in result.acks],
                "head": result.head, "chain_head": held}

    def pull(conn: psycopg.Connection, device: Device, body: dict, request: Request, address: str | None,
             now: datetime) -> Any:
        after = _query_int(request, "after", 0)
        limit = min(_query_int(request, "limit", store.PULL_DEFAULT), store.PULL_MAX)
        if limit < 1:
            raise bad_request("limit must be at least 1")
        return store.pull(conn, device.unit_id, after, limit)

    def get_chain_head(conn: psycopg.Connection, device: Device, body: dict, request: Request,
                       address: str | None, now: datetime) -> Any:
        return {"chain_head": store.chain_head(conn, device)}

    def create_code(conn: psycopg.Connection, device: Device, body: dict, request: Request, address: str | None,
                    now: datetime) -> Any:
        return enrol.create_code(conn, device, body, now, address)

    def join(conn: psycopg.Connection, body: dict, request: Request, address: str | None, now: datetime) -> Any:
        j = enrol.join(conn, body, now, address)
        return {"device_id": str(j.device_id), "unit_id": j.unit_id, "token": j.token, "head": j.head,
                "bundle": None if j.bundle is None else base64.b64encode(j.bundle).decode("ascii")}

    def revoke(conn: psycopg.Connection, device: Device, body: dict, request: Request, address: str | None,
               now: datetime) -> Any:
        return enrol.revoke(conn, device, request.path_params["device_id"], now, address)

    def list_devices(conn: psycopg.Connection, device: Device, body: dict, request: Request,
                     address: str | None, now: datetime) -> Any:
        return {"devices": enrol.devices(conn, device.unit_id)}

    def snapshot_begin(conn: psycopg.Connection, device: Device, body: dict, request: Request,
                       address: str | None, now: datetime) -> Any:
        return snapshots.begin(conn, device, body, now)

    def snapshot_put(conn: psycopg.Connection, device: Device, body: dict, request: Request,
                     address: str | None, now: datetime) -> Any:
        p = request.path_params
        return snapshots.put_chunk(conn, device, p["snapshot_id"], p["n"], body)

    def snapshot_complete(conn: psycopg.Connection, device: Device, body: dict, request: Request,
                          address: str | None, now: datetime) -> Any:
        return snapshots.complete(conn, device, request.path_params["snapshot_id"], body, now, address)

    def snapshot_latest(conn: psycopg.Connection, device: Device, body: dict, request: Request,
                        address: str | None, now: datetime) -> Any:
        return snapshots.latest(conn, device)

    def snapshot_get(conn: psycopg.Connection, device: Device, body: dict, request: Request,
                     address: str | None, now: datetime) -> Any:
        p = request.path_params
        return snapshots.get_chunk(conn, device, p["snapshot_id"], p["n"])

    def publish_keys(conn: psycopg.Connection, device: Device, body: dict, request: Request, address: str | None,
                     now: datetime) -> Any:
        return keys.publish(conn, device, body, now, address)

    def get_keys(conn: psycopg.Connection, device: Device, body: dict, request: Request, address: str | None,
                 now: datetime) -> Any:
        return keys.wraps_for(conn, device, _query_int(request, "after", 0))

    def publish_unit_key(conn: psycopg.Connection, device: Device, body: dict, request: Request,
                         address: str | None, now: datetime) -> Any:
        return keys.publish_unit_key(conn, device, body, now, address)

    def get_unit_keys(conn: psycopg.Connection, device: Device, body: dict, request: Request, address: str | None,
                      now: datetime) -> Any:
        return keys.unit_key_wraps_for(conn, device, _query_int(request, "after", 0))

    routes = [
        Route("/v1/health", route(health, signed_in=False), methods=["GET"]),
        Route("/v1/push", route(push), methods=["POST"]),
        Route("/v1/pull", route(pull), methods=["GET"]),
        Route("/v1/chain-head", route(get_chain_head), methods=["GET"]),
        Route("/v1/enrol/codes", route(create_code, status=201), methods=["POST"]),
        Route("/v1/enrol/join", route(join, signed_in=False, status=201, max_body=JOIN_MAX_BODY_BYTES),
              methods=["POST"]),
        Route("/v1/devices", route(list_devices), methods=["GET"]),
        Route("/v1/devices/{device_id}/revoke", route(revoke), methods=["POST"]),
        Route("/v1/snapshots", route(snapshot_begin, status=201), methods=["POST"]),
        Route("/v1/snapshots/latest", route(snapshot_latest), methods=["GET"]),
        Route("/v1/snapshots/{snapshot_id}/chunks/{n}", route(snapshot_put), methods=["POST"]),
        Route("/v1/snapshots/{snapshot_id}/chunks/{n}", route(snapshot_get), methods=["GET"]),
        Route("/v1/snapshots/{snapshot_id}/complete", route(snapshot_complete), methods=["POST"]),
        Route("/v1/keys", route(publish_keys, status=201, max_body=JOIN_MAX_BODY_BYTES * 8), methods=["POST"]),
        Route("/v1/keys", route(get_keys), methods=["GET"]),
        Route("/v1/unit-keys", route(publish_unit_key, status=201, max_body=JOIN_MAX_BODY_BYTES * 8), methods=["POST"]),
        Route("/v1/unit-keys", route(get_unit_keys), methods=["GET"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan,
                     exception_handlers={HTTPException: _http_error, Exception: _internal_error})


async def _read_body(request: Request, limit: int) -> bytes:
    too_big = Refused(413, f"The request is larger than the hub takes ({max(limit // 2**20, 1)} MiB): "
                           "send fewer ops at a time")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise too_big
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_big
        chunks.append(chunk)
    return b"".join(chunks)


def _parse_json(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        return {}  # a POST that needs nothing (revoke) may send nothing
    try:
        body = json.loads(raw)
    except ValueError:
        raise bad_request("The request body is not JSON") from None
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object")
    return body


def _query_int(request: Request, name: str, default: int) -> int:
    value = request.query_params.get(name)
    if value is None:
        return default
    if not value.isdigit() or len(value) > 18:
        raise bad_request(f"{name} must be a whole number")
    return int(value)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    words = {404: "There is no such address on the hub", 405: "That address does not take this method"}
    return json_response({"error": words.get(exc.status_code, "The hub cannot answer this request")},
                         exc.status_code, dict(exc.headers or {}))


async def _internal_error(request: Request, exc: Exception) -> Response:
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return json_response({"error": INTERNAL}, 500)
