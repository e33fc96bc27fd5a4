"""One process's connection to the shared store: a bounded pool, short-timeout operations, one pub/sub listener.

Rules:
- Every operation is bounded by ``LOCALFN_STATE_TIMEOUT_MS`` and tried once (no retries): a slow
  or absent Redis adds at most that to a request. A failure raises ``StateUnavailable``, which
  callers answer by going on with their process's own state; it is counted in
  ``localfn_state_errors_total{op,reason}`` and logged at most once per ``LOG_EVERY_S``.
- After a failure no operation is tried for ``PAUSE_S``: a Redis that is down costs one timeout
  per pause, not one per request. Sharing resumes by itself with the first operation after it.
- Totals (``add``, ``totals``) are hashes whose fields every process increments; each write
  renews the hash's TTL, so the totals of an installation nobody uses any more expire.
- Waiters are woken by one pattern subscription per process (``done`` channels), never by
  polling; a wake-up that is lost (the listener reconnecting) costs at most the owner's lease.
- ``finish`` is write-behind: the owner answers its caller at once and stores the value in the
  background (a Redis round trip is a wake-up of two processes, most of the store's cost per
  request). Other processes' claims meanwhile find the lease and wait for its publication;
  ``flush`` (and ``aclose``) waits for the writes still pending (each at most one timeout), so
  a clean shutdown loses none. A process killed in between leaves only a lease, which expires.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TypeVar

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import AuthenticationError, NoPermissionError, RedisError, ResponseError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from localfn.metrics import Metrics
from localfn.settings import Settings
from localfn.state.keys import FlightKeys, done_pattern

__all__ = ["Claim", "StateClient", "StateUnavailable"]

log = logging.getLogger("localfn.state")

T = TypeVar("T")

PAUSE_S = 1.0
LOG_EVERY_S = 10.0

# The stored value if any; else the lease if free; else how long the owner's lease still runs. One
# script, so a claim is atomic and costs one round trip.
_CLAIM = """
local value = redis.call('GET', KEYS[1])
if value then return {1, value} end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return {2, ''} end
return {3, redis.call('PTTL', KEYS[2])}
"""
# Extend the lease only while it is still ours: a lease that expired may have a new owner.
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
# Store the answer (when there is one to share), free our lease, wake the waiters.
_FINISH = """
if ARGV[4] then redis.call('SET', KEYS[1], ARGV[4], 'PX', ARGV[2]) end
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
redis.call('PUBLISH', ARGV[3], '1')
return 1
"""
# Add to a hash of totals and keep it TTL more: one round trip, and a hash nobody writes to expires.
_ADD = """
for i = 2, #ARGV, 2 do redis.call('HINCRBYFLOAT', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
"""


class StateUnavailable(Exception):
    """The store failed or did not answer in time: go on with this process's own state."""


@dataclass(frozen=True)
class Claim:
    """What a claim found: the stored ``value``; or the lease (``owned``); or an owner whose lease runs ``wait_s`` more."""

    value: bytes | None = None
    owned: bool = False
    wait_s: float = 0.0


def _reason(exc: BaseException) -> str:
    """The ``reason`` label of a failure: a few stable words, not the message."""
    if isinstance(exc, (TimeoutError, RedisTimeoutError)):
        return "timeout"
    if isinstance(exc, (AuthenticationError, NoPermissionError)):
        return "auth"
    if isinstance(exc, (RedisConnectionError, OSError)):
        return "connection"
    if isinstance(exc, ResponseError):
        return "refused"  # e.g. OOM: maxmemory reached with a noeviction policy
    return "error"


def _text(reply: bytes | str) -> str:
    # redis-py types a reply as bytes or str (it depends on decode_responses); this pool does not decode.
    return reply.decode() if isinstance(reply, bytes) else reply


class StateClient:
    def __init__(self, settings: Settings, metrics: Metrics, clock: Callable[[], float] = time.monotonic) -> None:
        if settings.state_url is None:
            raise ValueError("a StateClient needs LOCALFN_STATE_URL")
        self.prefix = settings.state_prefix
        self.lease_ms = settings.state_lease_ms
        self.max_value_bytes = settings.state_max_value_bytes
        self._timeout_s = settings.state_timeout_ms / 1000
        password = settings.state_password.get_secret_value() if settings.state_password is not None else None
        # Nothing connects here: the pool opens connections on first use, at most max_connections,
        # and a request waits for a free one no longer than for an answer. A password in the URL wins.
        pool = BlockingConnectionPool.from_url(
            settings.state_url.get_secret_value(),
            password=password,
            max_connections=settings.state_max_connections,
            timeout=self._timeout_s,
            socket_timeout=self._timeout_s,
            socket_connect_timeout=self._timeout_s,
            retry=Retry(NoBackoff(), 0),
        )
        self._redis = Redis(connection_pool=pool)
        self._claim = self._redis.register_script(_CLAIM)
        self._renew = self._redis.register_script(_RENEW)
        self._finish = self._redis.register_script(_FINISH)
        self._add = self._redis.register_script(_ADD)
        self._metrics = metrics
        self._clock = clock
        self._paused_until = 0.0
        self._logged_at: float | None = None
        self._unlogged = 0
        self._waiters: dict[str, set[asyncio.Future[None]]] = {}
        self._subscribed = asyncio.Event()
        self._listener: asyncio.Task[None] | None = None
        self._pending: set[asyncio.Task[None]] = set()

    async def claim(self, keys: FlightKeys, token: str) -> Claim:
        found = await self._call("claim", lambda: self._claim(keys=[keys.value, keys.lease], args=[token, self.lease_ms]))
        kind, detail = found
        if kind == 1:
            return Claim(value=detail)
        if kind == 2:
            return Claim(owned=True)
        # PTTL is -2 if the lease vanished since (the next claim takes it); wait a moment, not forever.
        return Claim(wait_s=max(int(detail), 1) / 1000)

    async def renew(self, keys: FlightKeys, token: str) -> bool:
        """Extend the lease; False when it is no longer ours."""
        return bool(await self._call("renew", lambda: self._renew(keys=[keys.lease], args=[token, self.lease_ms])))

    def finish(self, keys: FlightKeys, token: str, value: bytes | None, ttl_ms: int) -> None:
        """Store ``value`` for ``ttl_ms`` (none: nothing to share), free the lease and wake every waiter.

        Write-behind: this schedules the work and returns; a failure is counted and logged as any other.
        """
        args: list[str | int | bytes] = [token, ttl_ms, keys.done]
        if value is not None:
            args.append(value)

        async def store() -> None:
            with contextlib.suppress(StateUnavailable):
                await self._call("finish", lambda: self._finish(keys=[keys.value, keys.lease], args=args))

        task = asyncio.get_running_loop().create_task(store())
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def add(self, key: str, amounts: Mapping[str, float], ttl_ms: int) -> None:
        """Add ``amounts`` to the fields of the hash ``key`` (totals of every process) and keep it ``ttl_ms`` more."""
        args: list[str | float] = [ttl_ms]
        for field, amount in amounts.items():
            args += [field, amount]
        await self._call("add", lambda: self._add(keys=[key], args=args))

    async def totals(self, key: str) -> dict[str, float]:
        """The fields of the hash ``key`` as numbers (empty when nothing was added, or it expired)."""
        found = await self._call("totals", lambda: self._redis.hgetall(key))
        return {_text(field): float(value) for field, value in found.items()}

    @contextlib.contextmanager
    def watch(self, channel: str) -> Iterator[asyncio.Future[None]]:
        """A future done when ``channel`` is published to, from now until the block ends."""
        self._start_listener()
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        waiters = self._waiters.setdefault(channel, set())
        waiters.add(future)
        try:
            yield future
        finally:
            waiters.discard(future)
            if not waiters:
                del self._waiters[channel]

    async def listening(self) -> None:
        """Return once the listener is subscribed, or after the timeout (waits then rely on the lease alone)."""
        self._start_listener()
        if self._subscribed.is_set() or self._paused():
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._timeout_s):
                await self._subscribed.wait()

    @staticmethod
    async def wait(done: asyncio.Future[None], seconds: float) -> None:
        """Wait for ``done`` at most ``seconds``."""
        await asyncio.wait({done}, timeout=seconds)

    async def flush(self) -> None:
        """Wait for the write-behind stores still pending (each bounded by the operation timeout)."""
        if self._pending:
            await asyncio.wait(set(self._pending))

    async def aclose(self) -> None:
        await self.flush()
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        await self._redis.aclose(close_connection_pool=True)

    async def _call(self, op: str, command: Callable[[], Awaitable[T]]) -> T:
        if self._paused():
            raise StateUnavailable(f"{op}: paused after a failure")
        try:
            async with asyncio.timeout(self._timeout_s):
                return await command()
        except (RedisError, OSError, TimeoutError) as exc:
            self._failed(op, exc)
            raise StateUnavailable(f"{op}: {exc}") from exc

    def _paused(self) -> bool:
        return self._clock() < self._paused_until

    def _failed(self, op: str, exc: BaseException) -> None:
        reason = _reason(exc)
        now = self._clock()
        self._paused_until = now + PAUSE_S
        self._metrics.series(self._metrics.state_errors, op, reason).inc()
        if self._logged_at is not None and now - self._logged_at < LOG_EVERY_S:
            self._unlogged += 1
            return
        more = f" ({self._unlogged} more failures since the last message)" if self._unlogged else ""
        log.warning(
            "shared state (LOCALFN_STATE_URL) failed: %s on %s (%s)%s; answering from this process's own state, retrying in %.0f s",
            reason,
            op,
            type(exc).__name__,
            more,
            PAUSE_S,
        )
        self._logged_at, self._unlogged = now, 0

    def _start_listener(self) -> None:
        if self._listener is None:
            self._listener = asyncio.get_running_loop().create_task(self._listen(), name="localfn-state-listener")

    async def _listen(self) -> None:
        """Wake the waiters of every ``done`` channel published to; resubscribe after failures, forever."""
        while True:
            try:
                async with self._redis.pubsub(ignore_subscribe_messages=True) as pubsub:
                    async with asyncio.timeout(self._timeout_s):
                        await pubsub.psubscribe(done_pattern(self.prefix))
                    self._subscribed.set()
                    async for message in pubsub.listen():
                        for future in self._waiters.get(message["channel"].decode(), ()):
                            if not future.done():
                                future.set_result(None)
            except (RedisError, OSError, TimeoutError) as exc:
                self._failed("subscribe", exc)
                await asyncio.sleep(PAUSE_S)
            finally:
                self._subscribed.clear()
