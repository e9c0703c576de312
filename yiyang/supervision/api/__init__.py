"""REST API for supervision (/api/v1/supervision): one router per area, mounted here."""

from ninja import Router

from .inspections import router as inspections_router
from .ratings import router as ratings_router
from .subsidies import router as subsidies_router
from .workforce import router as workforce_router

router = Router()
router.add_router("/", inspections_router)
router.add_router("/", subsidies_router)
router.add_router("/", workforce_router)
router.add_router("/", ratings_router)
