"""REST API for supervision (/api/v1/supervision): one router per area, mounted here."""

from ninja import Router

from .complaints import router as complaints_router
from .escrow import router as escrow_router
from .inspections import router as inspections_router
from .pairing import router as pairing_router
from .ratings import router as ratings_router
from .subsidies import router as subsidies_router
from .workforce import router as workforce_router

router = Router()
for area in (inspections_router, subsidies_router, workforce_router, ratings_router, escrow_router, pairing_router,
             complaints_router):  # fmt: skip
    router.add_router("/", area)
