"""The project worker: runs answered in order, a newer run cancelling an older one, changes
applied one file each, the settings decided over the whole workspace, and the server's side
noticing a worker that died."""

from __future__ import annotations

import threading
from multiprocessing import Pipe
from pathlib import Path

from server.config import Config
from server.projectworker import Abandoned, Change, Progress, ProjectWorker, Result, Run, serve

CONFIG = Config(select=("RV901",))


def _workspace(root: Path, modules: int) -> None:
    (root / "app").mkdir()
    (root / "app/__init__.py").write_text("")
    for n in range(modules):
        (root / f"app/m{n}.py").write_text(f"def f{n}():\n    return {n}\n")
    (root / "app/helpers.py").write_text("x = 1\n")
    (root / "app/helpers").mkdir()
    (root / "app/helpers/__init__.py").write_text("")


def _answers(root: Path, runs: list[Run], *, one_by_one: bool = False) -> list[object]:
    """Serve the runs in a thread and collect the answers: all sent before the worker reads any,
    or `one_by_one`, each once the previous one is answered."""
    ours, theirs = Pipe()
    pending = list(runs)
    while pending and not (one_by_one and len(pending) < len(runs)):
        ours.send(pending.pop(0))
    thread = threading.Thread(target=serve, args=(theirs, str(root)))
    thread.start()
    answers: list[object] = []
    while True:
        try:
            answers.append(ours.recv())
        except EOFError:
            break
        if isinstance(answers[-1], (Result, Abandoned)):
            if answers[-1].run_id == runs[-1].run_id:
                break
            if one_by_one and pending:
                ours.send(pending.pop(0))
    ours.send(None)  # stop
    thread.join(timeout=60)
    return answers


def test_a_newer_configuration_cancels_the_walk_of_an_older_one(tmp_path: Path) -> None:
    _workspace(tmp_path, 60)
    other = Config(select=("RV901", "RV902"))
    answers = _answers(tmp_path, [Run(1, CONFIG), Run(2, other)])
    finals = [a for a in answers if isinstance(a, (Result, Abandoned))]
    assert finals[0] == Abandoned(1)  # it saw run 2 waiting at its first pause
    result = finals[1]
    assert isinstance(result, Result) and result.run_id == 2
    assert [(path, d.code) for path, d, _ in result.findings] == [("app/helpers.py", "RV901")]
    assert result.files == 63
    progress = [a for a in answers if isinstance(a, Progress) and a.run_id == 2]
    assert progress[0] == Progress(2, 0, 63) and progress[-1] == Progress(2, 63, 63)


def test_saves_during_the_walk_wait_for_it_instead_of_restarting_it(tmp_path: Path) -> None:
    """Saves every second must not keep a large workspace from ever being indexed: a run that only
    brings changes is applied after the walk, which goes on."""
    _workspace(tmp_path, 60)
    answers = _answers(tmp_path, [Run(1, CONFIG), Run(2, None, (Change(str(tmp_path / "app/m0.py"), "x = 1\n"),))])
    finals = [a for a in answers if isinstance(a, (Result, Abandoned))]
    assert [type(a).__name__ for a in finals] == ["Result", "Result"]
    assert {a.run_id for a in answers if isinstance(a, Progress)} == {1}  # one walk


def test_changes_update_the_index_file_by_file(tmp_path: Path) -> None:
    _workspace(tmp_path, 3)
    helpers = tmp_path / "app/helpers.py"
    helpers.rename(tmp_path / "app/tools.py")
    (tmp_path / "app/tools").mkdir()
    (tmp_path / "app/tools/__init__.py").write_text("")
    answers = _answers(
        tmp_path,
        [
            Run(1, CONFIG),
            Run(2, None, (Change(str(tmp_path / "app/tools.py"), deleted=True),)),
            Run(3, None, (Change(str(tmp_path / "app/tools.py")),)),
        ],
        one_by_one=True,
    )
    results = [a for a in answers if isinstance(a, Result)]
    assert [[(p, d.code) for p, d, _ in r.findings] for r in results] == [
        [("app/tools.py", "RV901")],
        [],
        [("app/tools.py", "RV901")],
    ]
    # only the first run walked the workspace
    assert {a.run_id for a in answers if isinstance(a, Progress)} == {1}


def test_the_worker_decides_the_settings_over_the_whole_workspace(tmp_path: Path) -> None:
    _workspace(tmp_path, 1)
    deep = tmp_path / "backend/project/settings"
    deep.mkdir(parents=True)
    (deep / "base.py").write_text('REST_FRAMEWORK = {"DEFAULT_THROTTLE_CLASSES": ["x.Throttle"]}\n')
    (tmp_path / "manage.py").write_text('os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.project.settings.base")\n')
    (result,) = [a for a in _answers(tmp_path, [Run(1, CONFIG)]) if isinstance(a, Result)]
    assert result.settings is not None
    modules, configured = result.settings
    assert modules == ("backend/project/settings/base.py",)
    assert "DEFAULT_THROTTLE_CLASSES" in configured


def test_the_server_side_notices_a_worker_that_died(tmp_path: Path) -> None:
    _workspace(tmp_path, 1)
    exited = threading.Event()
    answers: list[object] = []
    worker = ProjectWorker(tmp_path, answers.append, exited.set)
    try:
        worker.send(Run(1, CONFIG))
        for _ in range(600):
            if any(isinstance(a, Result) for a in answers):
                break
            exited.wait(0.1)
        assert any(isinstance(a, Result) for a in answers)
        process = worker._process
        assert process is not None and process.pid is not None
        process.kill()
        assert exited.wait(30)
    finally:
        worker.stop()


def test_a_change_to_a_file_the_walk_skips_is_not_indexed(tmp_path: Path) -> None:
    """Watched-file changes go through the walk's filters: .gitignore, exclusions, the read policy."""
    _workspace(tmp_path, 1)
    (tmp_path / "app/helpers.py").unlink()
    (tmp_path / ".gitignore").write_text("app/helpers.py\n")
    (tmp_path / "app/helpers.py").write_text("x = 1\n")  # ignored by git: no RV901 for it
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    (outside / "tools.py").write_text("x = 1\n")
    (tmp_path / "app/tools").mkdir()
    (tmp_path / "app/tools/__init__.py").write_text("")
    (tmp_path / "app/tools.py").symlink_to(outside / "tools.py")  # out of the workspace: never read
    answers = _answers(
        tmp_path,
        [Run(1, CONFIG), Run(2, None, (Change(str(tmp_path / "app/helpers.py")), Change(str(tmp_path / "app/tools.py"))))],
        one_by_one=True,
    )
    results = [a for a in answers if isinstance(a, Result)]
    assert [r.findings for r in results] == [(), ()]
