"""The tutorials run as tests: every notebook under ``tutorials/`` is executed with nbclient.

How a notebook is run
---------------------
* In a temporary working directory, so ``SnorkelSession()`` creates a fresh
  ``snorkel.db`` there (``SNORKELDB`` is removed from the kernel's environment unless
  ``SNORKELIE_TUTORIAL_DB`` gives a URL to use instead). A notebook whose metadata says
  ``{"snorkel_ie": {"database": "postgresql"}}`` gets ``SNORKELDB`` pointing at the
  emptied PostgreSQL test database of ``tests/conftest.py`` (``SNORKELIE_TEST_POSTGRES``;
  skipped without a server outside CI, like the database tests).
* With ``SNORKEL_TUTORIAL_MAX_DOCS`` set to :data:`MAX_DOCS` (override it with
  ``SNORKELIE_TUTORIAL_MAX_DOCS``; empty means the full data), which every notebook
  reads in its first cell to run on a documented subset.
* With the kernel of *this* interpreter: a kernelspec written at test time into a
  temporary folder, so a ``python3`` kernel of another installation is never picked.

Numbered notebooks of one folder (``1_...``, ``2_...``) are steps of one tutorial:
they share a working directory and run in order; asking for step 3 alone first runs
steps 1 and 2. A notebook without a number runs on its own.

A cell that raises fails the test with the cell's source and traceback
(``nbclient.exceptions.CellExecutionError``). Committed notebooks must carry no
outputs or execution counts (:func:`test_notebook_has_no_outputs`).
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parents[2]
TUTORIALS = ROOT / "tutorials"
NOTEBOOKS = sorted(p for p in TUTORIALS.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
MAX_DOCS = "60"
"""Documents per corpus in a test run: enough for every cell to have candidates of each
split and gold positives, small enough that the whole suite takes minutes on 2 cores."""
CELL_TIMEOUT = 1800
KERNEL_NAME = "snorkel-ie-test-python"
_STEP = re.compile(r"^(\d+)_")


def _id(path: Path) -> str:
    if path.is_relative_to(TUTORIALS):
        return str(path.relative_to(TUTORIALS))
    return f"{path.parent.name}/{path.name}"


def _step(path: Path) -> int | None:
    m = _STEP.match(path.name)
    return int(m.group(1)) if m else None


@pytest.fixture(scope="session")
def kernel_manager_factory(tmp_path_factory: pytest.TempPathFactory):
    """Makes kernel managers for a kernelspec that runs this very interpreter."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager

    kernels = tmp_path_factory.mktemp("kernels")
    spec_dir = kernels / KERNEL_NAME
    spec_dir.mkdir()
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "snorkel-ie tests",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))

    def make() -> AsyncKernelManager:
        ksm = KernelSpecManager(kernel_dirs=[str(kernels)])
        return AsyncKernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=ksm)

    return make


def _kernel_env(db: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("SNORKELDB", None)
    db = db or os.environ.get("SNORKELIE_TUTORIAL_DB")
    if db:
        env["SNORKELDB"] = db
    env["SNORKEL_TUTORIAL_MAX_DOCS"] = os.environ.get("SNORKELIE_TUTORIAL_MAX_DOCS", MAX_DOCS)
    env["MPLBACKEND"] = "Agg"
    env["PYTHONHASHSEED"] = "0"
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


class _Runner:
    """Executes notebooks; numbered steps of a folder share a working directory and run in order."""

    def __init__(self, make_km, tmp_path_factory: pytest.TempPathFactory, notebooks: list[Path] = NOTEBOOKS):
        self.make_km = make_km
        self.tmp = tmp_path_factory
        self.notebooks = notebooks
        self.workdirs: dict[Path, Path] = {}
        self.done: dict[Path, BaseException | None] = {}

    def workdir(self, path: Path) -> Path:
        if _step(path) is None:
            return self.tmp.mktemp(path.stem)
        if path.parent not in self.workdirs:
            self.workdirs[path.parent] = self.tmp.mktemp(path.parent.name)
        return self.workdirs[path.parent]

    def run(self, path: Path, *, db: str | None = None) -> float:
        step = _step(path)
        if step is not None:
            for earlier in sorted(p for p in self.notebooks if p.parent == path.parent and (_step(p) or 0) < step):
                if earlier not in self.done:
                    try:
                        self._execute(earlier)
                    except Exception as err:
                        self.done[earlier] = err
                    else:
                        self.done[earlier] = None
                if self.done[earlier] is not None:
                    pytest.fail(f"{_id(earlier)}, an earlier step of {_id(path)}, failed: {self.done[earlier]}")
        if path in self.done and self.done[path] is None and step is not None:
            return 0.0  # already run as an earlier step of a notebook selected before it
        t0 = time.perf_counter()
        try:
            self._execute(path, db=db)
        except Exception as err:
            self.done[path] = err
            raise
        self.done[path] = None
        return time.perf_counter() - t0

    def _execute(self, path: Path, *, db: str | None = None) -> None:
        nb = nbformat.read(path, as_version=4)
        cwd = self.workdir(path)
        client = nbclient.NotebookClient(
            nb,
            km=self.make_km(),
            timeout=CELL_TIMEOUT,
            allow_errors=False,
            resources={"metadata": {"path": str(cwd)}},
        )
        client.execute(env=_kernel_env(db), cwd=str(cwd))


@pytest.fixture(scope="session")
def runner(kernel_manager_factory, tmp_path_factory: pytest.TempPathFactory) -> _Runner:
    return _Runner(kernel_manager_factory, tmp_path_factory)


def _write_notebook(path: Path, *sources: str) -> Path:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nbformat.write(nb, path)
    return path


@pytest.mark.slow
def test_runner_runs_a_later_step_alone_after_its_earlier_steps(kernel_manager_factory, tmp_path_factory, tmp_path):
    """Selecting only step 3 (``pytest -k``) runs steps 1 and 2 first, once, in one working directory."""
    folder = tmp_path / "series"
    folder.mkdir()
    steps = [
        _write_notebook(folder / "1_first.ipynb", "open('log.txt', 'a').write('1')"),
        _write_notebook(
            folder / "2_second.ipynb", "assert open('log.txt').read() == '1'", "open('log.txt', 'a').write('2')"
        ),
        _write_notebook(folder / "3_third.ipynb", "assert open('log.txt').read() == '12', open('log.txt').read()"),
    ]
    runner = _Runner(kernel_manager_factory, tmp_path_factory, notebooks=steps)
    runner.run(steps[2])
    assert runner.done == dict.fromkeys(steps)
    assert (runner.workdir(steps[0]) / "log.txt").read_text() == "12"
    assert runner.run(steps[1]) == 0.0  # already run as an earlier step: not run twice


@pytest.mark.slow
def test_runner_reports_a_failed_earlier_step(kernel_manager_factory, tmp_path_factory, tmp_path):
    folder = tmp_path / "broken"
    folder.mkdir()
    steps = [
        _write_notebook(folder / "1_fails.ipynb", "raise RuntimeError('step one broke')"),
        _write_notebook(folder / "2_after.ipynb", "pass"),
    ]
    runner = _Runner(kernel_manager_factory, tmp_path_factory, notebooks=steps)
    with pytest.raises(pytest.fail.Exception, match=r"1_fails\.ipynb, an earlier step of .*2_after\.ipynb, failed"):
        runner.run(steps[1])
    assert isinstance(runner.done[steps[0]], nbclient.exceptions.CellExecutionError)
    assert steps[1] not in runner.done


def test_notebooks_found():
    """The glob finds the tutorials (an empty parametrization would silently test nothing)."""
    assert {p.parent.name for p in NOTEBOOKS} >= {"intro", "advanced"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_id)
def test_notebook_has_no_outputs(path: Path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    dirty = [
        i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count is not None)
    ]
    assert not dirty, f"{_id(path)}: cells {dirty} carry outputs or execution counts; clear them before committing"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=_id)
def test_notebook_runs(path: Path, runner: _Runner, request: pytest.FixtureRequest):
    db = None
    if nbformat.read(path, as_version=4).metadata.get("snorkel_ie", {}).get("database") == "postgresql":
        from tests.conftest import _truncate_postgres

        db = request.getfixturevalue("postgres_url")  # skips (fails in CI) without a server
        _truncate_postgres(db)
    seconds = runner.run(path, db=db)
    print(f"{_id(path)}: {seconds:.1f} s")
