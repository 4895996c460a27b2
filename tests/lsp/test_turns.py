"""The engine thread's queue: newest foreground request first, background work last."""

from __future__ import annotations

import asyncio

from server.lsp.server import _Turns


def test_waiting_work_runs_newest_first_and_background_last() -> None:
    async def scenario() -> list[str]:
        turns = _Turns()
        order: list[str] = []
        await turns.acquire(False)  # something is running

        async def job(name: str, background: bool = False) -> None:
            await turns.acquire(background)
            order.append(name)
            turns.release()

        tasks = [asyncio.ensure_future(job("project scan", background=True))]
        for name in ("a.py", "b.py", "c.py"):
            tasks.append(asyncio.ensure_future(job(name)))
        await asyncio.sleep(0)  # all four are waiting
        turns.release()
        await asyncio.gather(*tasks)
        return order

    assert asyncio.run(scenario()) == ["c.py", "b.py", "a.py", "project scan"]


def test_a_cancelled_waiter_does_not_keep_the_engine() -> None:
    async def scenario() -> bool:
        turns = _Turns()
        await turns.acquire(False)
        waiting = asyncio.ensure_future(turns.acquire(False))
        await asyncio.sleep(0)
        waiting.cancel()
        await asyncio.sleep(0)
        turns.release()
        return turns.busy

    assert asyncio.run(scenario()) is False
