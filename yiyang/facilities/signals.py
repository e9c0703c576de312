"""Signals other apps listen to without this app knowing them (the app order of DESIGN.md §2)."""

from django.dispatch import Signal

# Sent after facilities were created, changed or imported, once the transaction commits.
# Arguments: `places`, a list of (lat, lng) pairs the change touched (old and new positions).
facilities_changed = Signal()
