"""Cross-cutting runtime settings (tracked_since, milestones …) kept in the database."""
