"""The staffing figures of a facility (`staffing_of`) that the grading and the dashboards read, from
the people registry of the providers app.

The workforce pages register people, certificates, training classes and attendance through the
providers app's services, re-exported here under the names those pages have always called.
"""

from dataclasses import asdict, dataclass
from datetime import date
from fractions import Fraction

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from yiyang.elders.models import CapabilityLevel
from yiyang.facilities.models import Facility, Residence
from yiyang.providers.models import COLLEGE_OR_ABOVE, Certificate, CertificateKind, Staff, StaffRole
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
    # Every staff figure in one query; a certificate is looked up per row (no join, so no double count).
    has_certificate = Exists(Certificate.objects.filter(staff=OuterRef("pk"), kind=CertificateKind.CARER))
    carer, director = Q(role=StaffRole.CARER), Q(is_director=True)
    social_worker = Q(role=StaffRole.SOCIAL_WORKER)
    staff = current(Staff.objects.filter(facility=facility), today).aggregate(
        carers=Count("id", filter=carer),
        certified_carers=Count("id", filter=carer & (Q(trained_junior_standard=True) | Q(has_certificate))),
        doctors=Count("id", filter=Q(role=StaffRole.DOCTOR)),
        nurses=Count("id", filter=Q(role=StaffRole.NURSE)),
        social_workers_full_time=Count("id", filter=social_worker & Q(is_full_time=True)),
        social_workers_part_time=Count("id", filter=social_worker & Q(is_full_time=False)),
        directors=Count("id", filter=director),
        directors_college=Count("id", filter=director & Q(education__in=COLLEGE_OR_ABOVE)),
    )
    return Staffing(
        residents=residents["total"],
        severe_residents=residents["severe"],
        moderate_residents=residents["moderate"],
        **staff,
        beds_total=facility.beds_total,
        beds_occupied=facility.beds_occupied,
    )
