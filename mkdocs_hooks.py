"""MkDocs hooks: the README as the home page, and reference tables generated from the code.

Pages hold placeholders (``<!-- generated: NAME -->``) that these hooks fill at build time, so
the tables can never disagree with the code: the settings from ``PersistenceSettings``, and each
facade method's kind (async or sync), summary, errors and events from the facade itself.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

from mud_persistence import errors, events
from mud_persistence.facade import AsyncPersistenceLayer
from mud_persistence.settings import PersistenceSettings

ROOT = Path(__file__).resolve().parent
PACKAGE = ROOT / "mud_persistence"
PLACEHOLDER = re.compile(r"<!-- generated: (?P<name>[\w-]+) -->")
README_LINK = re.compile(r"\]\((?P<up>(?:\.\./)+)README\.md(?P<anchor>#[^)]*)?\)")
RELATIVE_LINK = re.compile(r"\[(?P<label>[^\]]+)\]\((?P<target>(?!https?://|#)[^)]+)\)")

ERROR_NAMES = sorted(
    name
    for name, value in vars(errors).items()
    if inspect.isclass(value) and issubclass(value, errors.PersistenceError)
)
EVENT_NAMES = sorted(
    name
    for name, value in vars(events).items()
    if inspect.isclass(value) and issubclass(value, events.Event) and value is not events.Event
)


def readme() -> str:
    """README.md for the site: links into docs/ point at the site's pages; links to other files
    of the repository become plain text, since the site does not carry them."""

    def relink(match: re.Match[str]) -> str:
        label, target = match.group("label"), match.group("target")
        if target.startswith("docs/"):
            return f"[{label}]({target.removeprefix('docs/')})"
        return label

    return RELATIVE_LINK.sub(relink, (ROOT / "README.md").read_text(encoding="utf-8"))


def public_methods() -> list[tuple[str, Any]]:
    """The facade's public methods, in the order the source defines them."""
    return [
        (name, member)
        for name, member in vars(AsyncPersistenceLayer).items()
        if not name.startswith("_") and inspect.isfunction(member)
    ]


def mentioned(names: list[str], text: str) -> list[str]:
    return [name for name in names if re.search(rf"\b{name}\b", text)]


def methods_table() -> str:
    """One row per public facade method: kind, what it does, what it raises and publishes."""
    rows = [
        "| method | kind | does | raises | publishes |",
        "|---|---|---|---|---|",
    ]
    for name, method in public_methods():
        doc = inspect.getdoc(method) or ""
        kind = "async" if inspect.iscoroutinefunction(method) else "**sync** (no `await`)"
        summary = doc.split("\n\n", 1)[0].replace("\n", " ").replace("|", "\\|")
        raised = ", ".join(f"`{e}`" for e in mentioned(ERROR_NAMES, doc))
        published = ", ".join(f"`{e}`" for e in mentioned(EVENT_NAMES, doc))
        link = f"[`{name}`][mud_persistence.AsyncPersistenceLayer.{name}]"
        rows.append(f"| {link} | {kind} | {summary} | {raised} | {published} |")
    return "\n".join(rows)


def environment_variables(name: str, field: Any) -> list[str]:
    alias = field.validation_alias
    choices = getattr(alias, "choices", None)
    if choices:
        return [str(choice) for choice in choices]
    prefix = PersistenceSettings.model_config.get("env_prefix", "")
    return [f"{prefix}{name}".upper()]


def shown_default(field: Any) -> str:
    default = field.get_default(call_default_factory=True)
    if default is None:
        return "unset"
    if isinstance(default, Path):
        # paths inside the package or the checkout are shown as such, never as on this machine
        if default.is_relative_to(PACKAGE):
            return f"`{default.relative_to(PACKAGE.parent).as_posix()}` (in the package)"
        if default.is_relative_to(ROOT):
            return f"`{default.relative_to(ROOT).as_posix()}/` (in the checkout)"
    return f"`{default}`"


def settings_table() -> str:
    """One row per PersistenceSettings field: environment variable(s), default, meaning."""
    rows = ["| variable | field | default | meaning |", "|---|---|---|---|"]
    for name, field in PersistenceSettings.model_fields.items():
        variables = " or ".join(f"`{v}`" for v in environment_variables(name, field))
        meaning = (field.description or "").replace("|", "\\|")
        rows.append(f"| {variables} | `{name}` | {shown_default(field)} | {meaning} |")
    return "\n".join(rows)


GENERATORS = {
    "readme": readme,
    "methods-table": methods_table,
    "settings-table": settings_table,
}


def fill(markdown: str) -> str:
    """``markdown`` with every placeholder replaced by what it names, and links from a page in
    docs/ to the repository's README.md pointed at the site's home page, which shows it."""
    markdown = README_LINK.sub(
        lambda match: f"]({match.group('up')[3:]}index.md{match.group('anchor') or ''})", markdown
    )
    return PLACEHOLDER.sub(lambda match: GENERATORS[match.group("name")](), markdown)


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    return fill(markdown)
