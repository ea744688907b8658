from pathlib import Path

from piccolo.conf.apps import AppConfig

from campaign.contests.tables import (
    Contest,
    ContestSnapshot,
    StreakBest,
    StreakEvent,
    StreakSnapshot,
)

APP_CONFIG = AppConfig(
    app_name="contests",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[StreakSnapshot, StreakBest, StreakEvent, Contest, ContestSnapshot],
    # the streak indexes migration indexes region, station and case
    migration_dependencies=["campaign.regions.piccolo_app", "campaign.cases.piccolo_app"],
)
