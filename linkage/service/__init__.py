"""Service: users, keys and sessions, the audit log, steward decisions, the service database."""
