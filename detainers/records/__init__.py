"""Records: retention of what the app keeps, legal holds, and the purge that destroys what is due.

- `selectors`: which records are due (the purge plan), which are held, and the pages' lists.
- `purge`: destroying a plan (files, personal fields, caller details, view events), the destruction
  log, and the approval a purge above PURGE_APPROVAL_THRESHOLD waits for.
- `services`: placing and releasing legal holds, approving a purge, changing a retention rule.
- `tasks`: the daily purge (beat); `python manage.py purge_expired [--dry-run]` does the same.
- `backup` (with `backup_engines`, `backup_files`): `python manage.py backup DEST` and
  `restore SRC`, the database and the documents, checksummed, optionally encrypted.

What is counted (year, precinct, channel, form type, basis, disposition, duplicates) is never
destroyed, so a closed year adds up to the same figures after a purge as before it.
"""
