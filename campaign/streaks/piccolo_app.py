from pathlib import Path

from piccolo.conf.apps import AppConfig

from campaign.streaks.tables import StreakBest, StreakEvent, StreakSnapshot

APP_CONFIG = AppConfig(
    app_name="streaks",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[StreakSnapshot, StreakBest, StreakEvent],
    # the streak indexes migration indexes region, station and case
    migration_dependencies=["campaign.regions.piccolo_app", "campaign.cases.piccolo_app"],
)
