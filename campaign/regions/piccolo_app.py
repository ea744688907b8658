from pathlib import Path

from piccolo.conf.apps import AppConfig

from campaign.regions.tables import Region, Station, StationTown

APP_CONFIG = AppConfig(
    app_name="regions",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[Region, Station, StationTown],
)
