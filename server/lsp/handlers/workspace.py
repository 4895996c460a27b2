"""Workspace notifications: editor settings changed, a config file changed on disk."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from lsprotocol import types as lsp

from server.configfiles import kind_of
from server.lsp.session import ReviewServer
from server.lsp.settings import CONFIG_FILES, parse_settings, uri_to_path
from server.projectworker import Change

logger = logging.getLogger(__name__)

def did_change_configuration(ls: ReviewServer, params: lsp.DidChangeConfigurationParams) -> None:
    settings, warnings = parse_settings(params.settings, ls.settings)
    for warning in warnings:
        logger.warning("%s", warning)
    ls.settings = settings
    ls.apply_config()
    ls.config_changed()


def did_change_watched_files(ls: ReviewServer, params: lsp.DidChangeWatchedFilesParams) -> None:
    """A config file changed: reload it. Project files created, changed, deleted or renamed (a
    delete and a create) outside the editor: the project index follows, one file each."""
    if any(Path(uri_to_path(change.uri)).name in CONFIG_FILES for change in params.changes):
        ls.load_file_config()
        ls.config_changed()
    changes = [
        Change(uri_to_path(change.uri), deleted=change.type == lsp.FileChangeType.Deleted)
        for change in params.changes
        if change.uri.startswith("file:")
        and Path(uri_to_path(change.uri)).name not in CONFIG_FILES
        and (kind_of(uri_to_path(change.uri), ls.engine_config.file_types) is not None or _folder_deleted(change))
    ]
    if changes:
        asyncio.ensure_future(ls.files_changed(changes))


def _folder_deleted(change: lsp.FileEvent) -> bool:
    """A deleted path without a file suffix: a folder, most likely (its files leave the index)."""
    return change.type == lsp.FileChangeType.Deleted and not Path(uri_to_path(change.uri)).suffix


def register(ls: ReviewServer) -> None:
    ls.feature(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION)(did_change_configuration)
    ls.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)(did_change_watched_files)
