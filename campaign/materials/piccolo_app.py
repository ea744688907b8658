from pathlib import Path

from piccolo.conf.apps import AppConfig

from campaign.materials.tables import (
    Collection,
    CollectionItem,
    Download,
    Material,
    MaterialOrder,
    MaterialVersion,
    OrderMaterial,
)

APP_CONFIG = AppConfig(
    app_name="materials",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[
        Material,
        MaterialVersion,
        Download,
        Collection,
        CollectionItem,
        MaterialOrder,
        OrderMaterial,
    ],
)
