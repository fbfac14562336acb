"""The import rules of docs/architecture.md are contracts (pyproject.toml, [tool.importlinter]):
they hold for the tree as it is, and a change that breaks one fails `lint-imports` (and so CI)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("config", "accounts", "precincts", "detainers")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

# make test installs it (pyproject.toml's test extras); in CI a missing one fails rather than skips.
pytestmark = pytest.mark.skipif(
    not LINT_IMPORTS.exists() and os.environ.get("CI") != "true",
    reason="import-linter is not installed",
)


def lint_imports(tree: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(tree / "pyproject.toml")],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def tree(tmp_path) -> Path:
    """A copy of the code and its contracts, to break on purpose."""
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def add_line(path: Path, line: str) -> None:
    path.write_text(path.read_text() + f"\n{line}\n")


def test_it_keeps_every_contract_as_the_code_is(tree):
    result = lint_imports(tree)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 4 kept, 0 broken." in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("precincts/phone.py", "import detainers.models", "precincts never imports detainers"),
        (
            "detainers/counting/charts.py",
            "from detainers.inbox import search",
            "Capabilities are layered",
        ),
        (
            "detainers/inbox/selectors.py",
            "from detainers.reconcile import selectors",
            "Capabilities are layered",
        ),
        (
            "detainers/inbox/selectors.py",
            "from detainers.inbox import forms",
            "Domain modules never import views, APIs, forms or commands",
        ),
        ("detainers/intake/services.py", "import imaplib", "Only the mailbox package talks IMAP"),
    ],
)
def test_it_fails_when_a_change_breaks_a_rule(tree, module, line, contract):
    add_line(tree / module, line)

    result = lint_imports(tree)

    assert result.returncode == 1, result.stdout + result.stderr
    broken = [row for row in result.stdout.splitlines() if row.endswith(" BROKEN")]
    assert [row for row in broken if row.startswith(contract)] == broken, result.stdout
    assert len(broken) == 1, result.stdout
