from pathlib import Path

from piccolo.conf.apps import AppConfig

from campaign.warnings.tables import BoardEvent, ContactAttempt, Warning

APP_CONFIG = AppConfig(
    app_name="warnings",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[Warning, ContactAttempt, BoardEvent],
)
