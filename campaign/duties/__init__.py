"""Responsibility (责任落实): organisations, measures and task lists, the 平安考核 safety assessment
and accountability reviews (倒查)."""
