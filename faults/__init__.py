"""The fault suite (`make test-faults`): real processes, broken on purpose; see faults/run.py."""
