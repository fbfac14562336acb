"""Reconciliation: the agency's published list of detainers against the requests we counted.

- agency_csv: reading the agency's CSV (encodings, delimiters, its column names) into rows.
- matching: the matching rule (identifiers, then date, precinct and person), in memory.
- services: upload, column choice, the run (inline or in the `reconcile_run` task).
- decisions: a supervisor confirms or rejects a fallback match, or settles an ambiguous row.
- selectors: figures per precinct and fax line, the rows behind each, CSV exports.
- forms: the upload, column-mapping and decision forms.
"""
