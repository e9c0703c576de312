"""REST API for supervision (/api/v1/supervision): one router per area, mounted here."""

from ninja import Router

from .complaints import router as complaints_router
from .escrow import router as escrow_router
from .inspections import router as inspections_router
from .pairing import router as pairing_router

router = Router()
router.add_router("/", inspections_router)
router.add_router("/", escrow_router)
router.add_router("/", pairing_router)
router.add_router("/", complaints_router)
