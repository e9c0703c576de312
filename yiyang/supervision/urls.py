from django.urls import path

from .views import complaints, escrow, inspections, overview, pairing, ratings, subsidies, workforce

app_name = "supervision"
urlpatterns = [
    path("", overview.index_view, name="index"),
    path("ledger/", inspections.ledger_view, name="ledger"),
    path("inspections/", inspections.inspections_view, name="inspections"),
    path("inspections/<int:inspection_id>/", inspections.inspection_view, name="inspection"),
    path("hazards/<int:hazard_id>/", inspections.hazard_view, name="hazard"),
    path("photos/<int:photo_id>/", inspections.photo_view, name="photo"),
    path("checklists/", inspections.checklists_view, name="checklists"),
    path("subsidies/", subsidies.claims_view, name="claims"),
    path("subsidies/<int:claim_id>/", subsidies.claim_view, name="claim"),
    path("subsidies/<int:claim_id>/step/", subsidies.claim_step_view, name="claim_step"),
    path("subsidies/rates/", subsidies.rates_view, name="subsidy_rates"),
    path("workforce/", workforce.workforce_view, name="workforce"),
    path("workforce/facilities/<int:facility_id>/", workforce.facility_staff_view, name="facility_staff"),
    path("workforce/staff/<int:staff_id>/", workforce.staff_view, name="staff"),
    path("workforce/training/", workforce.trainings_view, name="trainings"),
    path("workforce/training/<int:training_id>/", workforce.training_view, name="training"),
    path("ratings/", ratings.ratings_view, name="ratings"),
    path("ratings/expiring/", ratings.expiring_view, name="ratings_expiring"),
    path("ratings/<int:application_id>/", ratings.rating_view, name="rating"),
    path("escrow/", escrow.overview_view, name="escrow"),
    path("escrow/facilities/<int:facility_id>/", escrow.facility_view, name="escrow_facility"),
    path("escrow/residences/<int:residence_id>/", escrow.residence_view, name="escrow_residence"),
    path("escrow/alerts/<int:alert_id>/acknowledge/", escrow.acknowledge_view, name="escrow_acknowledge"),
    path("pairing/", pairing.cadres_view, name="pairing"),
    path("pairing/cadres/<int:cadre_id>/", pairing.cadre_view, name="pairing_cadre"),
    path("pairing/cadres/<int:cadre_id>/photo/", pairing.cadre_photo_view, name="pairing_photo"),
    path("pairing/board/<int:facility_id>/", pairing.board_view, name="pairing_board"),
    path("pairing/visits/", pairing.visits_view, name="pairing_visits"),
    path("pairing/ranking/", pairing.ranking_view, name="pairing_ranking"),
    path("complaints/", complaints.complaints_view, name="complaints"),
    path("complaints/<int:complaint_id>/", complaints.complaint_view, name="complaint"),
]
