"""Workspace notifications: editor settings changed, a config file changed on disk."""

from __future__ import annotations

import logging
from pathlib import Path

from lsprotocol import types as lsp

from server.lsp.session import ReviewServer
from server.lsp.settings import CONFIG_FILES, parse_settings, uri_to_path

logger = logging.getLogger(__name__)

def did_change_configuration(ls: ReviewServer, params: lsp.DidChangeConfigurationParams) -> None:
    settings, warnings = parse_settings(params.settings, ls.settings)
    for warning in warnings:
        logger.warning("%s", warning)
    ls.settings = settings
    ls.apply_config()
    ls.refresh_all()


def did_change_watched_files(ls: ReviewServer, params: lsp.DidChangeWatchedFilesParams) -> None:
    if any(Path(uri_to_path(change.uri)).name in CONFIG_FILES for change in params.changes):
        ls.load_file_config()
        ls.refresh_all()


def register(ls: ReviewServer) -> None:
    ls.feature(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION)(did_change_configuration)
    ls.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)(did_change_watched_files)
