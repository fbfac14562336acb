#!/usr/bin/env bash
# Installs Tesseract with its English data when it is missing (Debian's packages): for the extraction
# benchmark (make bench-extraction) and CI (.ci/run installs the same packages). Needs root or sudo.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

if command -v tesseract >/dev/null 2>&1 && tesseract --list-langs 2>/dev/null | grep -qx eng; then
  exit 0
fi
sudo=""
[ "$(id -u 2>/dev/null || echo 0)" != 0 ] && sudo="sudo"
echo "Installing Tesseract OCR (tesseract-ocr tesseract-ocr-eng)"
$sudo apt-get update -qq
$sudo apt-get install -y -qq tesseract-ocr tesseract-ocr-eng >/dev/null
