#!/usr/bin/env bash
# The first lines of `make run` and `make test`: which optional parts this machine lacks, each with
# the one command that adds it. Prints nothing when all are there; never fails the target.
# Without Tesseract the app still runs and reads text-layer PDFs and email bodies (the demo's samples
# are text-layer PDFs), but no fax or scan is read: each fails with "OCR is not installed".

tesseract_ready() {
  command -v tesseract >/dev/null 2>&1 && tesseract --list-langs 2>/dev/null | grep -qx eng
}

install_command() {
  local sudo=""
  [ "$(id -u 2>/dev/null || echo 0)" != 0 ] && sudo="sudo "
  if command -v apt-get >/dev/null 2>&1; then
    echo "${sudo}apt-get install tesseract-ocr tesseract-ocr-eng"
  elif command -v brew >/dev/null 2>&1; then
    echo "brew install tesseract"
  elif command -v dnf >/dev/null 2>&1; then
    echo "${sudo}dnf install tesseract tesseract-langpack-eng"
  else
    echo "install Tesseract 4 or later with its English data (tesseract-ocr and tesseract-ocr-eng on Debian)"
  fi
}

if ! tesseract_ready; then
  echo "Optional parts missing: Tesseract OCR (scans and faxes are not read) — add it with: $(install_command)"
fi
exit 0
