from pathlib import Path

from piccolo.conf.apps import AppConfig

from campaign.reports.tables import AreaTown, Bulletin, Reminder, ReportingArea

APP_CONFIG = AppConfig(
    app_name="reports",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[ReportingArea, AreaTown, Bulletin, Reminder],
)
