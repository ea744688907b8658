"""Zero-case streaks, milestones, case-control contests, standings and leaderboards."""
