"""全民反诈攻坚 campaign system."""

import os

# Piccolo finds its configuration through this variable; point it at ours before anything imports
# piccolo so that the CLI, the app, the worker and the tests all see the same engine.
os.environ.setdefault("PICCOLO_CONF", "campaign.piccolo_conf")
