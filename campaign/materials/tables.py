from piccolo.columns import BigInt, Boolean, Date, Float, Integer, Text, Timestamptz, Varchar
from piccolo.columns.column_types import Serial
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Material(Table):
    """One item of the materials supermarket. List fields (fraud types, audiences) are stored as
    ";a;b;" so a filter is a substring match; the file columns mirror the current version."""

    id: Serial
    kind = Varchar(length=12, index=True)
    title = Varchar(length=100)
    description = Text(default="")
    tags = Varchar(length=200, default="")
    fraud_types = Varchar(length=300, default="")
    audiences = Varchar(length=300, default="")
    series = Varchar(length=30, default="", index=True)
    team = Varchar(length=50, default="", index=True)
    author_id = Integer(null=True, default=None)
    author_name = Varchar(length=50, default="")
    body = Text(default="")
    licence = Varchar(length=200, default="")
    valid_from = Date(null=True, default=None)
    valid_until = Date(null=True, default=None, index=True)
    status = Varchar(length=10, default="pending", index=True)
    review_note = Varchar(length=200, default="")
    reviewed_by = Varchar(length=50, null=True, default=None)
    reviewed_at = Timestamptz(null=True, default=None)
    version = Integer(default=0)
    file_key = Varchar(length=200, null=True, default=None)
    file_name = Varchar(length=200, null=True, default=None)
    content_type = Varchar(length=80, null=True, default=None)
    size = BigInt(default=0)
    preview_key = Varchar(length=200, null=True, default=None)
    duration = Float(null=True, default=None)
    downloads = Integer(default=0, index=True)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    updated_at = Timestamptz(default=TimestamptzNow())
    is_demo = Boolean(default=False)


class MaterialVersion(Table):
    """Every file a material has had; replacing the file adds a version and keeps the old ones."""

    id: Serial
    material_id = Integer(index=True)
    number = Integer()
    file_key = Varchar(length=200)
    file_name = Varchar(length=200)
    content_type = Varchar(length=80)
    size = BigInt()
    sha256 = Varchar(length=64)
    pages = Integer(null=True, default=None)
    preview_key = Varchar(length=200, null=True, default=None)
    duration = Float(null=True, default=None)
    uploaded_by = Varchar(length=50)
    uploaded_at = Timestamptz(default=TimestamptzNow())


class Download(Table):
    """Who downloaded which version of what, and when."""

    id: Serial
    material_id = Integer(index=True)
    version = Integer()
    user_id = Integer(null=True, default=None)
    username = Varchar(length=150)
    team = Varchar(length=50, default="", index=True)
    at = Timestamptz(default=TimestamptzNow(), index=True)


class Collection(Table):
    """A themed set of materials (开学季, 暑期防骗) downloadable as one ZIP."""

    id: Serial
    name = Varchar(length=40, unique=True)
    description = Varchar(length=200, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    is_demo = Boolean(default=False)


class CollectionItem(Table):
    id: Serial
    collection_id = Integer(index=True)
    material_id = Integer(index=True)
    position = Integer(default=0)


class MaterialOrder(Table):
    """点单: a team asks for material on a topic for an audience; the content team answers."""

    id: Serial
    requester_id = Integer(index=True)
    requester_name = Varchar(length=50)
    team = Varchar(length=50, default="")
    topic = Varchar(length=100)
    audience = Varchar(length=20, default="")
    fraud_type = Varchar(length=30, default="")
    note = Text(default="")
    status = Varchar(length=10, default="open", index=True)
    answer = Text(default="")
    answered_by = Varchar(length=50, null=True, default=None)
    answered_at = Timestamptz(null=True, default=None)
    seen = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    is_demo = Boolean(default=False)


class OrderMaterial(Table):
    id: Serial
    order_id = Integer(index=True)
    material_id = Integer()
