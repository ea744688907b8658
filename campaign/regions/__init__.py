"""Districts, towns, villages, police stations and their jurisdiction."""
