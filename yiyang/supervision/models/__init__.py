"""Supervision (民政系统监管): one module per area. Every row belongs to a facility (or a provider) and
carries its region and county codes, so that the one scoping mechanism (core.scoping) applies."""

from .complaints import *  # noqa: F403
from .escrow import *  # noqa: F403
from .inspections import *  # noqa: F403
from .pairing import *  # noqa: F403
from .ratings import *  # noqa: F403
from .subsidies import *  # noqa: F403
