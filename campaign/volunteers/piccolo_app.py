from pathlib import Path

from piccolo.conf.apps import AppConfig

from campaign.volunteers.tables import (
    ActiveDay,
    BoardRow,
    BoardScore,
    DailyActive,
    EventCheckin,
    OtpCode,
    PointEntry,
    PointRule,
    Propagandist,
    QuizAnswer,
    QuizQuestion,
    Redemption,
    Reward,
    ShareLink,
    ShareOpen,
    SignupAttempt,
    SuspiciousReport,
    Team,
    Volunteer,
)

APP_CONFIG = AppConfig(
    app_name="volunteers",
    migrations_folder_path=str(Path(__file__).parent / "piccolo_migrations"),
    table_classes=[
        Propagandist,
        Team,
        Volunteer,
        PointRule,
        PointEntry,
        BoardRow,
        BoardScore,
        Reward,
        Redemption,
        QuizQuestion,
        QuizAnswer,
        OtpCode,
        ShareLink,
        ShareOpen,
        SuspiciousReport,
        EventCheckin,
        ActiveDay,
        DailyActive,
        SignupAttempt,
    ],
)
