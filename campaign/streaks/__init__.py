"""Zero-case streaks: boards, milestones, honour roll and the feed."""
