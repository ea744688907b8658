from pathlib import Path

from piccolo.conf.apps import AppConfig

from campaign.duties.tables import (
    AssessmentResult,
    AssessmentRun,
    AssessmentScheme,
    CorrectiveAction,
    EventOrganisation,
    Evidence,
    Measure,
    Organisation,
    Review,
    SweepMark,
    Task,
    TaskReminder,
)

APP_CONFIG = AppConfig(
    app_name="duties",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[
        Organisation,
        EventOrganisation,
        Measure,
        Task,
        Evidence,
        TaskReminder,
        AssessmentScheme,
        AssessmentRun,
        AssessmentResult,
        Review,
        CorrectiveAction,
        SweepMark,
    ],
)
