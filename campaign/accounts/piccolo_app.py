from pathlib import Path

from piccolo.conf.apps import AppConfig

from campaign.accounts.tables import ApiToken, AuditEntry, LoginFailure, Profile

APP_CONFIG = AppConfig(
    app_name="accounts",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[Profile, ApiToken, LoginFailure, AuditEntry],
    migration_dependencies=["piccolo.apps.user.piccolo_app"],
)
