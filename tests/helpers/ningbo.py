"""A small slice of Ningbo for tests: two districts, three towns, a few villages, two stations."""

from __future__ import annotations

from campaign.regions.imports import import_file

REGIONS_CSV = """区划代码,名称,级别,上级代码,常住人口
330282,慈溪市,区县,,
330206,北仑区,区县,,
330282005,白沙路街道,镇街,330282,
330282108,附海镇,镇街,330282,
330206002,新碶街道,镇街,330206,
330282005002,曙光社区,村社,330282005,5200
330282005206,白沙路村,村社,330282005,3100
330282108201,附海村,村社,330282108,2800
330206002001,新碶社区,村社,330206002,6100
"""
STATIONS_CSV = """派出所编码,名称,区县代码,辖区镇街
PS330282005,白沙路派出所,330282,330282005
PS330282108,附海派出所,330282,330282108
PS330206002,新碶派出所,330206,330206002
"""


async def load_slice() -> None:
    await import_file("regions", "regions.csv", REGIONS_CSV.encode(), dry_run=False, actor=None)
    await import_file("stations", "stations.csv", STATIONS_CSV.encode(), dry_run=False, actor=None)
