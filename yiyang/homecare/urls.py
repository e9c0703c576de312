from django.urls import path

from . import views

app_name = "homecare"
urlpatterns = [
    path("book/<int:elder_id>/", views.book_view, name="book"),
    path("orders/<int:order_id>/", views.order_view, name="order"),
    path("orders/<int:order_id>/<str:step>/", views.step_view, name="step"),
    path("board/", views.board_view, name="board"),
    path("photos/<int:photo_id>/", views.photo_view, name="photo"),
    path("orders/", views.orders_view, name="orders"),
    path("menu/", views.menu_view, name="menu"),
    path("providers/<int:provider_id>/", views.provider_view, name="provider"),
    path("today/", views.today_view, name="today"),
    path("stats/", views.stats_view, name="stats"),
    path("canteens/", views.canteens_view, name="canteens"),
    path("timebank/", views.timebank_view, name="timebank"),
    path("canteens/<int:facility_id>/", views.canteen_view, name="canteen"),
    path("providers/<int:provider_id>/settlement.xlsx", views.settlement_view, name="settlement"),
]
