"""Process configuration, read once from the environment.

Everything has an embedded default (SQLite in ./var, sessions on disk, jobs in-process) so that
`campaign demo` runs on a bare machine; production sets DATABASE_URL, REDIS_URL and SECRET_KEY.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIMEZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str | None
    var_dir: Path
    media_root: Path
    secret_key: str
    session_max_age: int
    secure_cookies: bool
    debug: bool
    #: Materials: hand checked downloads to nginx under this prefix (X-Accel-Redirect).
    media_accel_redirect: str | None = None
    #: Materials: keep uploads in this S3-compatible bucket instead of MEDIA_ROOT.
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    #: Materials: the propaganda team that answers orders beside the administrators.
    materials_content_team: str | None = None
    log_format: str = "text"
    metrics_token: str | None = None
    #: Volunteers: how one-time codes are sent ("log", the default, or "http" to SMS_URL).
    sms_backend: str = "log"
    sms_url: str | None = None
    sms_token: str | None = None
    #: Bulletin: the site's public address (https://fzdt.example.cn) for the QR code and share
    #: image on posters; unset, the address the request came in on.
    public_base_url: str | None = None
    #: PostgreSQL bulk imports: parallel workers per index build besides the leading backend
    #: (cores of the database server minus one; 2 workers on 2 cores made the builds slower).
    pg_index_build_workers: int = 1

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def sqlite_path(self) -> Path:
        """sqlite:///relative/path or sqlite:////absolute/path, as SQLAlchemy spells them."""
        return Path(self.database_url.removeprefix("sqlite:///"))


def _secret_key(var_dir: Path) -> str:
    """SECRET_KEY from the environment, else one generated once and kept in var/ (mode 600)."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = var_dir / "secret_key"
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


@cache
def get_settings() -> Settings:
    var_dir = Path(os.environ.get("CAMPAIGN_VAR", ROOT / "var")).resolve()
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{var_dir / 'campaign.sqlite3'}"
    return Settings(
        database_url=database_url,
        redis_url=os.environ.get("REDIS_URL") or None,
        var_dir=var_dir,
        media_root=Path(os.environ.get("MEDIA_ROOT", var_dir / "media")).resolve(),
        secret_key=_secret_key(var_dir),
        session_max_age=int(os.environ.get("SESSION_MAX_AGE", 12 * 3600)),
        secure_cookies=os.environ.get("SECURE_COOKIES", "0") == "1",
        debug=os.environ.get("CAMPAIGN_DEBUG", "0") == "1",
        media_accel_redirect=os.environ.get("MEDIA_ACCEL_REDIRECT") or None,
        s3_bucket=os.environ.get("S3_BUCKET") or None,
        s3_endpoint_url=os.environ.get("S3_ENDPOINT_URL") or None,
        materials_content_team=os.environ.get("MATERIALS_CONTENT_TEAM") or None,
        log_format=os.environ.get("LOG_FORMAT", "text"),
        metrics_token=os.environ.get("METRICS_TOKEN") or None,
        sms_backend=os.environ.get("SMS_BACKEND", "log"),
        sms_url=os.environ.get("SMS_URL") or None,
        sms_token=os.environ.get("SMS_TOKEN") or None,
        public_base_url=(os.environ.get("PUBLIC_BASE_URL") or "").rstrip("/") or None,
        pg_index_build_workers=int(os.environ.get("PG_INDEX_BUILD_WORKERS", 1)),
    )
