"""SharedMemo: the ``Store`` rules of cache.py kept across every process that shares one Redis.

How one key is answered, in every process:
1. An in-process ``Memo`` first: its hits and its single-flight cost no round trip, and only one
   caller per process (the local flight's owner) goes on to the shared store.
2. One atomic claim: the stored value (``HIT``); or the lease (``SET NX PX``), whose holder computes,
   renews the lease every third of its length while it works, then answers its caller and, behind
   it, stores the value (JSON, at most ``LOCALFN_STATE_MAX_VALUE_BYTES``; larger ones are not
   shared), frees the lease and publishes on the key's ``done`` channel; or the lease is held
   elsewhere: wait for that publication, or for the lease to run out if its owner died, then
   claim again (``COALESCED`` once it finds the value).
   A flight that failed or was given up frees its lease without a value: the next claim computes.
3. When the store fails (``StateUnavailable``) the caller computes with the in-process state alone:
   answers keep coming, only the sharing is lost until the store answers again.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

from localfn.cache import Memo, Reuse
from localfn.state.client import StateClient, StateUnavailable
from localfn.state.codec import Codec
from localfn.state.keys import FlightKeys, flight_keys

__all__ = ["SharedMemo"]

V = TypeVar("V")


class SharedMemo(Generic[V]):
    def __init__(self, local: Memo[V], client: StateClient, *, kind: str, codec: Codec[V], ttl_s: float) -> None:
        self._local = local
        self._client = client
        self._kind = kind
        self._codec = codec
        self._ttl_ms = max(int(ttl_s * 1000), 1)

    @property
    def enabled(self) -> bool:
        return self._local.enabled

    async def flush(self) -> None:
        """Wait until this process's answers are in the store (they are written behind the reply)."""
        await self._client.flush()

    async def get_or_run(self, key: Hashable, compute: Callable[[], Awaitable[V]]) -> tuple[V, Reuse]:
        """The value stored by any process, or that of an identical call in flight in any process, or ``compute()``'s."""
        if not self.enabled:
            return await compute(), Reuse.MISS
        shared = Reuse.MISS

        async def through_store() -> V:
            nonlocal shared
            try:
                value, shared = await self._flight(flight_keys(self._client.prefix, self._kind, key), compute)
            except StateUnavailable:
                value = await compute()
            return value

        value, reuse = await self._local.get_or_run(key, through_store)
        return value, shared if reuse is Reuse.MISS else reuse

    async def _flight(self, keys: FlightKeys, compute: Callable[[], Awaitable[V]]) -> tuple[V, Reuse]:
        token = uuid.uuid4().hex
        waited = False
        await self._client.listening()
        while True:
            # Watch before claiming: a publication between the claim and the wait must not be missed.
            with self._client.watch(keys.done) as done:
                claim = await self._client.claim(keys, token)
                if claim.value is not None:
                    return self._codec.decode(claim.value), Reuse.COALESCED if waited else Reuse.HIT
                if claim.owned:
                    return await self._own(keys, token, compute), Reuse.MISS
                await self._client.wait(done, claim.wait_s)
            waited = True

    async def _own(self, keys: FlightKeys, token: str, compute: Callable[[], Awaitable[V]]) -> V:
        renewing = asyncio.create_task(self._renew(keys, token))
        shared: bytes | None = None
        try:
            value = await compute()
            encoded = self._codec.encode(value)
            shared = encoded if len(encoded) <= self._client.max_value_bytes else None
            return value
        finally:
            renewing.cancel()
            # Also after a failure or a cancellation: the lease is freed and waiters claim again at once.
            # Write-behind: the caller has its answer without waiting for the store (client.py).
            self._client.finish(keys, token, shared, self._ttl_ms)

    async def _renew(self, keys: FlightKeys, token: str) -> None:
        while True:
            await asyncio.sleep(self._client.lease_ms / 3000)
            with contextlib.suppress(StateUnavailable):
                await self._client.renew(keys, token)
