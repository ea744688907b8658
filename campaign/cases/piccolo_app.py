from pathlib import Path

from piccolo.conf.apps import AppConfig

from campaign.cases.tables import Case, CaseDay, CaseUnit, FraudType, ImportJob, OccupationGroup

APP_CONFIG = AppConfig(
    app_name="cases",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[FraudType, OccupationGroup, Case, ImportJob, CaseDay, CaseUnit],
)
