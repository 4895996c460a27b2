"""Reading and writing the project's files under one policy, for `--check`, `--fix`, the
baseline, the configuration and the editor's cross-file quick fixes.

A repository is untrusted input: a file may be a symlink to `/dev/zero` or out of the
workspace, a FIFO, or huge; an editor may save it while `--fix` runs. So reading takes
regular files only, up to `MAX_FILE_BYTES`, never through a symlink that leaves the
workspace, and decodes by the PEP 263 coding line; writing replaces the file atomically
(a temporary file in the same folder, then `os.replace`), keeps its mode and owner, writes
through in-workspace symlinks instead of replacing them, and refuses read-only files and
files whose content changed since they were read.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import stat
import tempfile
import tokenize
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

MAX_FILE_MB = 10
# Ruff and Pylint have no limit; 10 MB is 50 times the largest hand-written module of the
# ecosystem check, and generated files above it are not worth a review
MAX_FILE_BYTES = MAX_FILE_MB * 1024 * 1024
_BOM = b"\xef\xbb\xbf"


class ReadError(Exception):
    """A file that is not read: refused by the policy, unreadable, or not decodable.

    `reason` is the bare cause ("not a regular file (character device)"); `listing` is the
    line `--check` prints for it.
    """

    def __init__(self, path: str, reason: str, kind: str = "unreadable") -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason
        self.kind = kind  # "refused" (policy), "unreadable" (OS error), "undecodable"

    @property
    def listing(self) -> str:
        if self.kind == "refused":
            return f"not reviewed: {self.reason}"
        if self.kind == "undecodable":
            return f"{self.reason}; file skipped"
        return f"cannot read: {self.reason}"


class WriteError(Exception):
    """A file that was not written, and why (`--fix` lists it, the file keeps its content)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Source:
    """A file's text as read, with what writing it back needs."""

    text: str
    encoding: str  # the codec to write it back with: "utf-8", "utf-8-sig" (BOM), "iso-8859-1"...
    digest: str  # sha256 of the bytes read: a write refuses a file that no longer has them

    @property
    def bom(self) -> bool:
        return self.encoding == "utf-8-sig"


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "directory"),
        (stat.S_ISCHR, "character device"),
        (stat.S_ISBLK, "block device"),
        (stat.S_ISFIFO, "FIFO"),
        (stat.S_ISSOCK, "socket"),
    ):
        if test(mode):
            return name
    return "special file"


def inside(path: Path, roots: Iterable[Path]) -> bool:
    """Is `path` (resolved here) inside one of the `roots` (already resolved)?"""
    real = Path(os.path.realpath(path))
    return any(real == root or real.is_relative_to(root) for root in roots)


def refusal(path: Path, roots: Iterable[Path] = (), max_bytes: int = MAX_FILE_BYTES, *, walked: bool = False) -> ReadError | None:
    """Why this file is not to be read, from its metadata alone (None: read it).

    `roots` (resolved) are the workspace: a path that resolves outside them is refused.
    Without roots, any regular file under the size limit is read. `walked`: the path was
    met walking a root, so only a symlink can lead out (no realpath for the others).
    """
    roots = tuple(roots)
    try:
        link = os.lstat(path)
    except OSError as exc:
        return ReadError(str(path), exc.strerror or str(exc))
    if roots and (stat.S_ISLNK(link.st_mode) or not walked) and not inside(path, roots):
        where = "a symlink to a file outside the workspace" if stat.S_ISLNK(link.st_mode) else "outside the workspace"
        return ReadError(str(path), where, "refused")
    try:
        info = os.stat(path) if stat.S_ISLNK(link.st_mode) else link
    except OSError as exc:
        return ReadError(str(path), f"a broken symlink ({exc.strerror})")
    if not stat.S_ISREG(info.st_mode):
        return ReadError(str(path), f"not a regular file ({_kind(info.st_mode)})", "refused")
    if info.st_size > max_bytes:
        return ReadError(str(path), f"larger than {max_bytes / 1048576:g} MB ({info.st_size / 1048576:.1f} MB)", "refused")
    return None


def read_bytes(path: Path, roots: Iterable[Path] = (), max_bytes: int = MAX_FILE_BYTES, *, walked: bool = False) -> bytes:
    """The file's bytes under the policy; ReadError otherwise. A file swapped for a FIFO or
    grown past the limit after the check is still caught: the open does not block and the
    read stops one byte past the limit."""
    refused = refusal(path, roots, max_bytes, walked=walked)
    if refused is not None:
        raise refused
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise ReadError(str(path), exc.strerror or str(exc)) from None
    with os.fdopen(fd, "rb") as stream:
        info = os.fstat(stream.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ReadError(str(path), f"not a regular file ({_kind(info.st_mode)})", "refused")
        try:
            data = stream.read(max_bytes + 1)
        except OSError as exc:
            raise ReadError(str(path), exc.strerror or str(exc)) from None
    if len(data) > max_bytes:
        raise ReadError(str(path), f"larger than {max_bytes / 1048576:g} MB", "refused")
    return data


def _encoding(path: Path, data: bytes) -> str:
    """The PEP 263 encoding of Python source (coding line, else BOM, else UTF-8)."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        message = str(exc)
        if "unknown encoding" in message or "encoding problem" in message:
            raise ReadError(str(path), message.replace("unknown encoding for ", "unknown encoding in the coding line of "), "undecodable") from None
        # "invalid or missing encoding declaration": no usable coding line, so UTF-8 says what is wrong
        return "utf-8-sig" if data.startswith(_BOM) else "utf-8"
    return encoding


def decode(path: Path, data: bytes, *, coding_line: bool = True) -> Source:
    """Bytes to text: by the coding line (`coding_line`, PEP 263), else UTF-8 with or without BOM."""
    if coding_line:
        encoding = _encoding(path, data)
    else:
        encoding = "utf-8-sig" if data.startswith(_BOM) else "utf-8"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        name = "UTF-8" if encoding in ("utf-8", "utf-8-sig") else f"{encoding} (its coding line)"
        raise ReadError(str(path), f"not valid {name} (byte 0x{data[exc.start]:02x} at offset {exc.start})", "undecodable") from None
    return Source(text, encoding, hashlib.sha256(data).hexdigest())


def read_source(
    path: Path, roots: Iterable[Path] = (), *, max_bytes: int = MAX_FILE_BYTES, coding_line: bool = True, walked: bool = False
) -> Source:
    """The file's text under the policy (`refusal`), decoded by its coding line; ReadError otherwise."""
    return decode(path, read_bytes(path, roots, max_bytes, walked=walked), coding_line=coding_line)


def _digest_now(path: Path) -> str | None:
    try:
        with open(path, "rb") as stream:
            data = stream.read(MAX_FILE_BYTES + 1)
    except OSError:
        return None
    return hashlib.sha256(data).hexdigest()


def write_atomic(path: Path, text: str, source: Source, roots: Iterable[Path] = ()) -> None:
    """Replace the file's content with `text`, in the encoding it was read in; WriteError otherwise.

    The new content goes to a temporary file in the same folder that takes the file's mode
    and owner, then replaces it in one step: a crash never leaves half a file. A symlink (inside
    the workspace `roots`) is written through, not replaced. Refused: a target outside the
    workspace, a non-regular or read-only file, a file whose bytes are no longer the ones read
    (an editor saved it meanwhile), an owner that cannot be kept.
    """
    roots = tuple(roots)
    if roots and not inside(path, roots):
        raise WriteError(str(path), "a symlink to a file outside the workspace" if path.is_symlink() else "outside the workspace")
    target = Path(os.path.realpath(path))
    try:
        info = os.stat(target)
    except OSError as exc:
        raise WriteError(str(path), f"cannot write: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise WriteError(str(path), f"not a regular file ({_kind(info.st_mode)})")
    if not info.st_mode & 0o222 or not os.access(target, os.W_OK):
        raise WriteError(str(path), "read-only file")
    try:
        data = text.encode(source.encoding)
    except UnicodeEncodeError:
        raise WriteError(str(path), f"the fixed text cannot be written in {source.encoding}, the file's encoding") from None
    if _digest_now(target) != source.digest:
        raise WriteError(str(path), "the file changed since it was read")
    try:
        handle, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise WriteError(str(path), f"cannot write in its folder: {exc.strerror}") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            made = os.fstat(stream.fileno())
            if os.name == "posix" and (made.st_uid, made.st_gid) != (info.st_uid, info.st_gid):
                try:
                    os.fchown(stream.fileno(), info.st_uid, info.st_gid)
                except OSError:
                    raise WriteError(str(path), "its owner cannot be kept (owned by another user)") from None
            os.fsync(stream.fileno())
        os.chmod(temp, stat.S_IMODE(info.st_mode))  # after the chown, which clears setuid bits
        if _digest_now(target) != source.digest:  # a last look: an editor's save is never lost
            raise WriteError(str(path), "the file changed since it was read")
        os.replace(temp, target)
    except BaseException as exc:
        try:
            os.unlink(temp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise WriteError(str(path), f"cannot write: {exc.strerror}") from None
        raise


def safe_folder(folder: Path, base: Path) -> Path:
    """Create `folder` (below `base`) with no symlink on the way; OSError if one is there.

    The result cache lives in the repository: a symlink planted in it must not make reviewls
    write elsewhere.
    """
    current = base
    for part in folder.relative_to(base).parts:
        current = current / part
        try:
            info = os.lstat(current)
        except FileNotFoundError:
            try:
                os.mkdir(current)
                continue
            except FileExistsError:  # another worker made it meanwhile: check what it is
                info = os.lstat(current)
        if not stat.S_ISDIR(info.st_mode):
            raise OSError(f"{current} is a {'symlink' if stat.S_ISLNK(info.st_mode) else 'file'}, not a folder")
    return folder


def create_new(path: Path, data: bytes, mode: int = 0o644) -> bool:
    """Write a file that does not exist yet, never through a symlink; False if something is there."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), mode)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as stream:
        stream.write(data)
    return True


def user_cache_dir() -> Path:
    """reviewls' folder in the user's cache directory ($XDG_CACHE_HOME, else ~/.cache): outside
    every repository, so nothing a repository ships can write or forge what is kept there."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".cache"
    return root / "reviewls"
