"""Publishing: immutable snapshots, person documents, exports and backups."""
