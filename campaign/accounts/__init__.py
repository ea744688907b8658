"""Users, roles and units, sessions, API tokens, login throttling and the audit log."""
