from pathlib import Path

from piccolo.conf.apps import AppConfig

from campaign.contests.tables import Contest, ContestSnapshot

APP_CONFIG = AppConfig(
    app_name="contests",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[Contest, ContestSnapshot],
    migration_dependencies=["campaign.streaks.piccolo_app"],
)
