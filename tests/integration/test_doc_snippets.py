"""Every Python block in README.md and docs/ runs as written, against a real database.

How the blocks of one document are run:

- In order, in one namespace, the way a reader pastes them into ``python -m asyncio`` (or
  ``mud-persistence shell``): top-level ``await`` works, and what one block defines the next sees.
- ``DATABASE_URL`` names a new, empty PostgreSQL database made for that document and dropped
  after it; the working directory is a scratch folder, so SQLite files land there.
- A block whose first line is a comment naming a Python file (``# conftest.py``,
  ``# test_combat.py``) is a file of a small game project: it is written to a scratch folder, and
  once the document's blocks have run, pytest runs that project, whose tests must all pass.
- A block that cannot run on its own is opted out with ``<!-- snippet: skip REASON -->`` on the
  line just before it. The reason is required, and every opt-out is reported as a
  ``SnippetNotRun`` warning in the test summary. Keep them rare.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import os
import re
import subprocess
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mud_persistence import AsyncPersistenceLayer
from mud_persistence.testing import create_database, drop_database

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*)$")
PYTHON = {"python", "py", "python3"}
OPT_OUT = re.compile(r"^\s*<!--\s*snippet:\s*skip\b\s*(?P<reason>.*?)\s*-->\s*$")
PROJECT_FILE = re.compile(r"^#\s*(?P<name>[\w-]+\.py)\s*$")


class SnippetNotRun(UserWarning):
    """A documented block the snippet test does not run, with the reason given in the docs."""


@dataclass(frozen=True)
class Block:
    document: Path
    line: int  # of the first line of code, 1-based, in the document
    code: str
    skip_reason: str | None

    @property
    def where(self) -> str:
        return f"{self.document.relative_to(ROOT)}:{self.line}"

    @property
    def project_file(self) -> str | None:
        first = self.code.split("\n", 1)[0]
        match = PROJECT_FILE.match(first)
        return match.group("name") if match else None


def documents() -> list[Path]:
    """README.md and every Markdown file under docs/, found anew at each collection."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def python_blocks(document: Path) -> list[Block]:
    lines = document.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        fence, info = opening.group("fence"), opening.group("info").split()
        end = next((i for i in range(index + 1, len(lines)) if closes(lines[i], fence)), len(lines))
        if info and info[0].lower() in PYTHON:
            indent = len(opening.group("indent"))
            code = "\n".join(line[indent:] for line in lines[index + 1 : end])
            skip = OPT_OUT.match(lines[index - 1]) if index else None
            blocks.append(Block(document, index + 2, code, skip.group("reason") if skip else None))
        index = end + 1
    return blocks


def closes(line: str, fence: str) -> bool:
    """Whether ``line`` ends a block opened with ``fence`` (same character, at least as many)."""
    stripped = line.strip()
    return stripped.startswith(fence) and set(stripped) == {fence[0]}


def documents_with_python() -> list[Path]:
    return [document for document in documents() if python_blocks(document)]


def test_every_document_is_searched_for_blocks() -> None:
    with_python = {path.relative_to(ROOT).as_posix() for path in documents_with_python()}
    # the README, pages directly in docs/, and pages in its subfolders
    assert {"README.md", "docs/migrating.md", "docs/reference/errors.md"} <= with_python


def test_blocks_are_found_whatever_their_fence_info_or_indent(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "```sh\nls\n```\n"
        '```python title="a.py"\nx = 1\n```\n'
        "- a list item:\n\n  ```py\n  y = 2\n  ```\n"
        "````markdown\n```python\nnot = 'code'\n```\n````\n"
        "<!-- snippet: skip needs the game's own server -->\n~~~python\nz = 3\n~~~\n",
        encoding="utf-8",
    )
    found = [(block.line, block.code, block.skip_reason) for block in python_blocks(page)]
    assert found == [
        (5, "x = 1", None),
        (10, "y = 2", None),
        (19, "z = 3", "needs the game's own server"),
    ]


def test_every_opt_out_gives_its_reason() -> None:
    opted_out = [block for doc in documents() for block in python_blocks(doc) if block.skip_reason]
    unexplained = [block.where for block in opted_out if len(block.skip_reason or "") < 15]
    assert unexplained == [], "write why the block cannot run: <!-- snippet: skip REASON -->"


@pytest.mark.parametrize(
    "document", documents_with_python(), ids=lambda path: path.relative_to(ROOT).as_posix()
)
def test_every_python_block_runs_as_written(
    document: Path,
    mud_persistence_server_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    database_url = asyncio.run(create_database(mud_persistence_server_url, migrate=False))
    project = tmp_path / "game_project"
    project.mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("MUD_PERSISTENCE_DATABASE_URL", raising=False)
    try:
        with asyncio.Runner() as runner, closing_layers(runner) as namespace:
            for block in python_blocks(document):
                if block.skip_reason:
                    warnings.warn(
                        SnippetNotRun(f"{block.where}: {block.skip_reason}"), stacklevel=1
                    )
                elif block.project_file:
                    (project / block.project_file).write_text(block.code, encoding="utf-8")
                else:
                    run_block(block, namespace, runner)
    finally:
        asyncio.run(drop_database(mud_persistence_server_url, database_url))
    if any(project.glob("test_*.py")):
        run_project(project, mud_persistence_server_url)


def run_block(block: Block, namespace: Namespace, runner: asyncio.Runner) -> None:
    # Padding puts each line at its line number in the document, so a traceback points there.
    source = "\n" * (block.line - 1) + block.code
    code = compile(source, str(block.document), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    try:
        result = eval(code, namespace)
        if inspect.iscoroutine(result):
            runner.run(result)
    except Exception as exc:
        raise AssertionError(f"the block at {block.where} failed: {exc!r}") from exc
    finally:
        namespace.remember_layers()


class Namespace(dict[str, Any]):
    """The blocks' globals; remembers every layer bound in it, even one a later block rebinds."""

    def __init__(self) -> None:
        super().__init__(__name__="__main__")
        self.layers: list[AsyncPersistenceLayer] = []

    def remember_layers(self) -> None:
        for value in self.values():
            if isinstance(value, AsyncPersistenceLayer) and value not in self.layers:
                self.layers.append(value)


@contextmanager
def closing_layers(runner: asyncio.Runner) -> Iterator[Namespace]:
    """A namespace for the blocks; every layer a block left open is closed at the end."""
    namespace = Namespace()
    try:
        yield namespace
    finally:
        namespace.remember_layers()
        for layer in namespace.layers:
            runner.run(layer.close())


def run_project(project: Path, server_url: str) -> None:
    """Run the game project's tests the way its developer would."""
    environment = {**os.environ, "MUD_PERSISTENCE_TEST_SERVER_URL": server_url}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q"],
        cwd=project,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert " passed" in done.stdout and "skipped" not in done.stdout, done.stdout
