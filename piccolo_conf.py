"""Lets the `piccolo` command line work from the repository root (the app itself uses campaign.piccolo_conf)."""

from campaign.piccolo_conf import *  # noqa: F403
