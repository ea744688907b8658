"""Fraud case records, their import, the reference lists, and each unit's maintained last case day."""
