from piccolo.columns import Text, Timestamptz, Varchar
from piccolo.columns.column_types import Serial
from piccolo.table import Table


class Setting(Table):
    """One runtime setting an administrator can change (`campaign settings set KEY VALUE`)."""

    id: Serial
    key = Varchar(length=64, unique=True)
    value = Text()
    updated_at = Timestamptz()
