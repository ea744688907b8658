from pathlib import Path

from piccolo.conf.apps import AppConfig

from campaign.events.tables import (
    AudienceGroup,
    Event,
    EventPhoto,
    EventType,
    Outreach,
    TownCoverage,
)

APP_CONFIG = AppConfig(
    app_name="events",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[EventType, AudienceGroup, Event, EventPhoto, Outreach, TownCoverage],
)
