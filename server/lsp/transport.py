"""The wire: Content-Length framed JSON-RPC messages read from the client.

pygls' read loop drops a body that is not JSON without a word, and after a body shorter than
its Content-Length it reads the rest as header lines until it stumbles on the next body: two
messages lost. This loop answers a body that is not JSON with a JSON-RPC parse error (id
null, as the specification says) and finds the next header even when it follows leftover
bytes on the same line. Messages are handed to the protocol one by one.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import stat
import threading
from typing import TYPE_CHECKING, BinaryIO, Protocol

from pygls.io_ import StdinAsyncReader

if TYPE_CHECKING:
    from server.lsp.protocol import ReviewProtocol

logger = logging.getLogger(__name__)

# the header may follow the unread tail of a body whose Content-Length was too short
_CONTENT_LENGTH = re.compile(rb"Content-Length:[ \t]*(\d+)[ \t]*\r?\n?$", re.IGNORECASE)
PARSE_ERROR = -32700


class AsyncReader(Protocol):
    async def readline(self) -> bytes: ...

    async def readexactly(self, n: int) -> bytes: ...


class PipeReader:
    """The client's messages read by the event loop itself.

    pygls reads stdin on a thread, one header line or body at a time: three thread hops per
    keystroke. When stdin is a pipe or a socket (every editor), an asyncio stream reads it
    with none; other kinds of stdin keep pygls' reader.
    """

    def __init__(self, stdin: BinaryIO) -> None:
        self.stdin = stdin
        self.stream: asyncio.StreamReader | None = None

    @staticmethod
    def usable(stdin: BinaryIO) -> bool:
        try:
            mode = os.fstat(stdin.fileno()).st_mode
        except (OSError, ValueError, AttributeError):
            return False
        return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)

    async def _stream(self) -> asyncio.StreamReader:
        if self.stream is None:
            stream = asyncio.StreamReader(limit=1 << 20)
            await asyncio.get_running_loop().connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stream), self.stdin)
            self.stream = stream
        return self.stream

    async def readline(self) -> bytes:
        stream = await self._stream()
        try:
            return await stream.readline()
        except ValueError:  # a "line" over the limit: not a header; hand it over in pieces
            return await stream.read(1 << 20)

    async def readexactly(self, n: int) -> bytes:
        try:
            return await (await self._stream()).readexactly(n)
        except asyncio.IncompleteReadError as exc:  # the client went away mid-message
            return exc.partial


def reader_for(stdin: BinaryIO) -> AsyncReader:
    """The event-loop reader for pipes and sockets (every editor), pygls' thread reader otherwise."""
    if PipeReader.usable(stdin):
        return PipeReader(stdin)
    return StdinAsyncReader(stdin)  # type: ignore[return-value]


async def read_messages(stop: threading.Event, reader: AsyncReader, protocol: ReviewProtocol) -> None:
    """Read framed messages until end of input, `stop`, or the client's `exit`."""
    length: int | None = None
    while not stop.is_set() and protocol.exit_code is None:
        line = await reader.readline()
        if not line:
            break
        match = _CONTENT_LENGTH.search(line)
        if match is not None:
            length = int(match.group(1))
            continue
        if line.strip() or length is None:
            continue  # another header (Content-Type), or a stray blank line
        body = await reader.readexactly(length)
        expected, length = length, None
        if len(body) < expected:
            break  # the client went away mid-message
        receive(protocol, body)


def receive(protocol: ReviewProtocol, body: bytes) -> None:
    """One message body: parsed, structured and dispatched; never raises."""
    try:
        message = json.loads(body, object_hook=protocol.structure_message)
    except ValueError as exc:  # not JSON, or not UTF-8
        logger.warning("a message that is not JSON was refused: %s", exc)
        protocol.send_error(None, PARSE_ERROR, f"Parse error: {exc}")
        return
    except Exception:  # isolation point: one bad message must not end the session
        logger.exception("a message could not be read")
        return
    try:
        protocol.handle_message(message)
    except Exception:  # isolation point: pygls answers handler errors; this is anything else
        logger.exception("a message could not be handled")
