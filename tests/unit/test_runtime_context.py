"""Runtime as an async context manager: what it opened is closed on the way out, error or not."""

from __future__ import annotations

import pytest

from localfn.runtime import Runtime
from localfn.settings import Settings


class _Closing:
    closed = False

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def aclose(self) -> None:
        self.closed = True


async def test_async_with_closes_the_client_and_the_capabilities() -> None:
    async with Runtime(Settings()) as runtime:
        capability = runtime.capability(_Closing)
        assert not runtime.http.is_closed
    assert runtime.http.is_closed and capability.closed


async def test_async_with_closes_on_an_error_too() -> None:
    with pytest.raises(RuntimeError):
        async with Runtime(Settings()) as runtime:
            raise RuntimeError("boom")
    assert runtime.http.is_closed
