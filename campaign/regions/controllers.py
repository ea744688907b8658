"""Region tree, stations and their API (filled in by the regions work)."""

from litestar import Controller


class RegionController(Controller):
    include_in_schema = False


class RegionApiController(Controller):
    path = "/api/v1"
