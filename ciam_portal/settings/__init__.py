"""Settings: a base plus small topic modules; every deploy-time value comes from the environment."""

from ciam_portal.settings.api import *  # noqa: F403
from ciam_portal.settings.background import *  # noqa: F403
from ciam_portal.settings.base import *  # noqa: F403
from ciam_portal.settings.database import *  # noqa: F403
from ciam_portal.settings.identity import *  # noqa: F403
from ciam_portal.settings.operations import *  # noqa: F403
from ciam_portal.settings.tenancy import *  # noqa: F403
