"""The README's layout section names exactly what is in the tree: every tracked top-level file and
folder, and every package and module of `sentiment/`, so the map cannot go stale."""

from __future__ import annotations

import re
import subprocess

from sentiment.core.config import PROJECT_ROOT


def layout_block() -> list[str]:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    return section.split("```\n", 2)[1].splitlines()


def listed(indent: int) -> set[str]:
    """First words of the block's lines at exactly `indent` spaces."""
    return {m.group(1) for line in layout_block() if (m := re.match(rf"^ {{{indent}}}(\S+)", line))}


def tracked_top_level() -> set[str]:
    files = subprocess.run(["git", "ls-files"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    names = set()
    for path in files.stdout.splitlines():
        if not (PROJECT_ROOT / path).exists():
            continue  # deleted but not yet committed
        first, _, rest = path.partition("/")
        names.add(first + "/" if rest else first)
    return names


def test_every_top_level_entry_is_in_the_layout() -> None:
    assert listed(0) == tracked_top_level()


def test_every_part_of_the_package_is_in_the_layout() -> None:
    package = PROJECT_ROOT / "sentiment"
    parts = {p.name + "/" for p in package.iterdir() if (p / "__init__.py").is_file()}
    parts |= {p.name for p in package.glob("*.py") if p.name != "__init__.py"}
    assert listed(2) == parts
