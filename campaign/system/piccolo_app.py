from pathlib import Path

from piccolo.conf.apps import AppConfig

from campaign.system.tables import Setting

APP_CONFIG = AppConfig(
    app_name="system",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[Setting],
)
