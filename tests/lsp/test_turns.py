"""The engine thread's queue (newest foreground request first, background work last) and stdin reading."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from server.lsp.scheduling import Turns as _Turns
from server.lsp.transport import PipeReader as _PipeReader


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


def test_stdin_pipe_is_read_by_the_event_loop(tmp_path: Path) -> None:
    """Header lines and bodies come from an asyncio stream; a short body at EOF is returned as is."""
    regular = tmp_path / "stdin.txt"
    regular.write_bytes(b"")
    with regular.open("rb") as handle:
        assert not _PipeReader.usable(handle)  # a regular file stays with pygls' own reader

    read_end, write_end = os.pipe()
    os.write(write_end, b"Content-Length: 7\r\n\r\n{\"a\":1}{\"b\"")
    os.close(write_end)

    async def scenario() -> list[bytes]:
        with os.fdopen(read_end, "rb", buffering=0) as stdin:
            assert _PipeReader.usable(stdin)
            reader = _PipeReader(stdin)
            return [await reader.readline(), await reader.readline(), await reader.readexactly(7), await reader.readexactly(7), await reader.readline()]

    assert asyncio.run(scenario()) == [b"Content-Length: 7\r\n", b"\r\n", b'{"a":1}', b'{"b"', b""]


def test_editor_settings_map_to_the_config_file_keys() -> None:
    """Each file key has its editor setting (camelCase), applied over the project's file."""
    from server.config import Config
    from server.lsp.settings import parse_settings

    settings, warnings = parse_settings({"reviewls": {"respectGitignore": False, "reportSyntaxErrors": True, "preview": True}})
    assert warnings == []
    config = Config().merged(settings.config, "editor settings")
    assert config.respect_gitignore is False and config.report_syntax_errors is True and config.preview is True
