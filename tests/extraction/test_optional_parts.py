"""`make run` and `make test` first say which optional parts are missing (scripts/tesseract/check.sh),
with the one command that adds each, and nothing when all are there."""

import shutil
import subprocess
from pathlib import Path

from tests.conftest import needs

CHECK = Path(__file__).resolve().parents[2] / "scripts" / "tesseract" / "check.sh"


def checked(path: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["/bin/bash", str(CHECK)], env={"PATH": path}, capture_output=True, text=True, check=False
    )


def test_it_names_missing_tesseract_and_the_command_that_adds_it(tmp_path):
    # A PATH with the shell's tools and apt-get, but no tesseract.
    for tool in ("grep", "id", "apt-get"):
        if found := shutil.which(tool):
            (tmp_path / tool).symlink_to(found)
    result = checked(str(tmp_path))
    assert result.returncode == 0  # it informs; it never stops `make run`
    assert result.stdout.startswith("Optional parts missing: Tesseract OCR")
    if shutil.which("apt-get"):
        assert "apt-get install tesseract-ocr tesseract-ocr-eng" in result.stdout


def test_it_says_nothing_when_tesseract_is_there():
    needs("Tesseract", shutil.which("tesseract") is not None)
    result = checked("/usr/local/bin:/usr/bin:/bin")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
