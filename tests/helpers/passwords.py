"""Password hashing in tests: the production PBKDF2 rounds, read before the test set-up lowers
them (tests create many users)."""

from __future__ import annotations

from piccolo.apps.user.tables import BaseUser

PRODUCTION_PBKDF2_ROUNDS = BaseUser._pbkdf2_iteration_count
FAST_PBKDF2_ROUNDS = 1_000
