"""Case-control contests (控案竞赛): scoring, standings, 红黑榜 and the leadership view."""
