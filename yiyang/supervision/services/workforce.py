"""The staffing figures of a facility (`staffing_of`) that the grading and the dashboards read, from
the people registry of the providers app.

The workforce pages register people, certificates, training classes and attendance through the
providers app's services, re-exported here under the names those pages have always called.
"""

from dataclasses import asdict, dataclass
from datetime import date
from fractions import Fraction

from django.db.models import Count, Q
from django.utils import timezone

from yiyang.elders.models import CapabilityLevel
from yiyang.facilities.models import Facility, Residence
from yiyang.providers.models import COLLEGE_OR_ABOVE, CertificateKind, Staff, StaffRole
from yiyang.providers.services import (
    STAFF_FIELDS,
    add_certificate,
    add_staff,
    change_staff,
    create_training,
    current,
    eligible_attendees,
    may_reveal_phone,
    phone_for,
    record_attendance,
    training_hours,
)

__all__ = [
    "STAFF_FIELDS",
    "Staffing",
    "add_certificate",
    "add_staff",
    "change_staff",
    "create_training",
    "current",
    "eligible_attendees",
    "may_reveal_phone",
    "phone_for",
    "record_attendance",
    "staffing_of",
    "training_hours",
]


# --- Staffing figures ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Staffing:
    """Headcounts of one facility on one day. Ratios are exact fractions so that a threshold test at
    the edge (1 carer to exactly 10 residents) is not decided by floating-point rounding."""

    residents: int = 0
    severe_residents: int = 0  # capability level 3 and 4 (重度失能、完全失能)
    moderate_residents: int = 0  # capability level 2 (中度失能)
    carers: int = 0
    certified_carers: int = 0  # a carer's certificate, or trained to the junior standard (§12)
    doctors: int = 0
    nurses: int = 0
    social_workers_full_time: int = 0
    social_workers_part_time: int = 0
    directors: int = 0
    directors_college: int = 0
    beds_total: int = 0
    beds_occupied: int = 0

    @property
    def certified_carer_share(self) -> Fraction | None:
        return Fraction(self.certified_carers, self.carers) if self.carers else None

    @property
    def carers_per_severe(self) -> Fraction | None:
        return Fraction(self.carers, self.severe_residents) if self.severe_residents else None

    @property
    def carers_per_moderate(self) -> Fraction | None:
        return Fraction(self.carers, self.moderate_residents) if self.moderate_residents else None

    @property
    def occupancy(self) -> Fraction | None:
        return Fraction(self.beds_occupied, self.beds_total) if self.beds_total else None

    def per_200_residents(self, count: int) -> Fraction | None:
        return Fraction(count * 200, self.residents) if self.residents else None

    def as_dict(self) -> dict:
        """Counts plus rounded ratios, for pages, the API and the snapshot kept with a scoring sheet."""

        def show(value: Fraction | None, digits: int = 3):
            return None if value is None else round(float(value), digits)

        return {
            **asdict(self),
            "certified_carer_share": show(self.certified_carer_share),
            "carers_per_severe": show(self.carers_per_severe),
            "carers_per_moderate": show(self.carers_per_moderate),
            "occupancy": show(self.occupancy),
            "doctors_per_200": show(self.per_200_residents(self.doctors), 2),
            "nurses_per_200": show(self.per_200_residents(self.nurses), 2),
            "social_workers_per_200": show(
                self.per_200_residents(self.social_workers_full_time + self.social_workers_part_time), 2
            ),
        }


def staffing_of(facility: Facility, today: date | None = None) -> Staffing:
    """The facility's staffing on `today`: residents are its current Residence rows by the elder's
    capability level; staff are those employed that day; occupancy is the registered beds."""
    today = today or timezone.localdate()
    residents = Residence.objects.filter(facility=facility, left_on__isnull=True).aggregate(
        total=Count("id"),
        severe=Count("id", filter=Q(elder__capability_level__gte=CapabilityLevel.SEVERE)),
        moderate=Count("id", filter=Q(elder__capability_level=CapabilityLevel.MODERATE)),
    )
    staff = current(Staff.objects.filter(facility=facility), today)
    certified = Q(trained_junior_standard=True) | Q(certificates__kind=CertificateKind.CARER)
    carers = staff.filter(role=StaffRole.CARER)
    directors = staff.filter(is_director=True)
    return Staffing(
        residents=residents["total"],
        severe_residents=residents["severe"],
        moderate_residents=residents["moderate"],
        carers=carers.count(),
        certified_carers=carers.filter(certified).distinct().count(),
        doctors=staff.filter(role=StaffRole.DOCTOR).count(),
        nurses=staff.filter(role=StaffRole.NURSE).count(),
        social_workers_full_time=staff.filter(role=StaffRole.SOCIAL_WORKER, is_full_time=True).count(),
        social_workers_part_time=staff.filter(role=StaffRole.SOCIAL_WORKER, is_full_time=False).count(),
        directors=directors.count(),
        directors_college=directors.filter(education__in=COLLEGE_OR_ABOVE).count(),
        beds_total=facility.beds_total,
        beds_occupied=facility.beds_occupied,
    )
