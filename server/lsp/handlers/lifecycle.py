"""initialize and initialized: settings, configuration, one-time set-up, the first project scan."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path

from lsprotocol import types as lsp

from server import __version__
from server.config import find_config_file
from server.lsp.session import ReviewServer
from server.lsp.settings import CONFIG_FILES, parse_settings, uri_to_path

logger = logging.getLogger(__name__)

# what the project index may keep (the server filters further by kind and exclusions)
PROJECT_GLOBS = ("*.py", "*.pyi", ".env*", "*.env", "*.yml", "*.yaml", "requirements*.txt", "*.conf")

def initialize(ls: ReviewServer, params: lsp.InitializeParams) -> None:
    ls.loop = asyncio.get_running_loop() if _has_loop() else None
    root = params.root_uri or (params.workspace_folders[0].uri if params.workspace_folders else None)
    if root:
        ls.root = Path(uri_to_path(root))
        ls.has_root = True
    settings, warnings = parse_settings(params.initialization_options)
    ls.settings = settings
    for warning in warnings:
        logger.warning("%s", warning)
    caps = params.capabilities.text_document
    client_pulls = caps is not None and caps.diagnostic is not None
    ls.pull = settings.diagnostic_mode == "pull" or (settings.diagnostic_mode == "auto" and client_pulls)
    ls.load_file_config()
    # one-time set-up (rule tables, libcst's node types, first regex uses) before the first file
    # arrives, so its analysis costs what every later one does
    ls.engine_thread.executor.submit(ls.engine.warm_up).result()
    config_file = find_config_file(ls.root)
    logger.info(
        "reviewls %s on %s (%s), cwd %s, root %s, config %s, %d rules enabled, %s diagnostics",
        __version__,
        sys.executable,
        sys.version.split()[0],
        os.getcwd(),
        ls.root,
        config_file or "defaults",
        len(ls.engine_config.enabled_rules("module.py")),
        "pull" if ls.pull else "push",
    )


def _has_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


async def initialized(ls: ReviewServer, params: lsp.InitializedParams) -> None:
    if ls.loop is None:
        ls.loop = asyncio.get_running_loop()
    asyncio.ensure_future(ls.run_project())  # the save tier once at start, in the background
    workspace = ls.client_capabilities.workspace
    watch = workspace.did_change_watched_files if workspace else None
    if watch is not None and watch.dynamic_registration:
        # the config files, and the files the project index keeps (it filters by kind and exclusions)
        watchers = [lsp.FileSystemWatcher(glob_pattern=f"**/{name}") for name in (*CONFIG_FILES, *PROJECT_GLOBS)]
        # a deleted or renamed folder comes as one event for the folder: its files leave the index
        watchers.append(lsp.FileSystemWatcher(glob_pattern="**/*", kind=lsp.WatchKind.Delete))
        registration = lsp.Registration(
            id="reviewls-config-watch",
            method=lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES,
            register_options=lsp.DidChangeWatchedFilesRegistrationOptions(watchers=watchers),
        )
        try:
            await ls.client_register_capability_async(lsp.RegistrationParams(registrations=[registration]))
        except Exception:  # isolation point: a client that refuses still gets everything else
            logger.warning("the client did not accept the file watchers; restart to reload configuration or to see files changed outside the editor")


def shutdown(ls: ReviewServer, params: None) -> None:
    """Stop what runs: a long analysis ends at its next block, queued jobs never start."""
    ls.stopping = True
    ls.tasks.cancel_all()
    ls.projects.stop()


def register(ls: ReviewServer) -> None:
    ls.feature(lsp.SHUTDOWN)(shutdown)
    ls.feature(lsp.INITIALIZE)(initialize)
    ls.feature(lsp.INITIALIZED)(initialized)
