from piccolo.columns import Text, Timestamptz, Varchar
from piccolo.table import Table


class Setting(Table):
    """One runtime setting an administrator can change (`campaign settings set KEY VALUE`)."""

    key = Varchar(length=64, unique=True)
    value = Text()
    updated_at = Timestamptz()
