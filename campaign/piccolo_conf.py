"""Piccolo configuration: the engine comes from DATABASE_URL, the apps are the domain folders."""

from piccolo.conf.apps import AppRegistry

from campaign.db import make_engine

DB = make_engine()

APP_REGISTRY = AppRegistry(
    apps=[
        "piccolo.apps.user.piccolo_app",
        "campaign.system.piccolo_app",
        "campaign.regions.piccolo_app",
        "campaign.accounts.piccolo_app",
        "campaign.cases.piccolo_app",
        "campaign.streaks.piccolo_app",
        "campaign.contests.piccolo_app",
        "campaign.materials.piccolo_app",
        "campaign.events.piccolo_app",
        "campaign.volunteers.piccolo_app",
        "campaign.duties.piccolo_app",
        "campaign.reports.piccolo_app",
        "campaign.warnings.piccolo_app",
    ]
)
