"""A vendor's device list imported as a job: devices bound to elders found by ID number within the
officer's scope, refused rows with their reasons, re-import updating without blanking, and events that
waited in the binding queue bound to the listed devices."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from openpyxl import Workbook

from yiyang.care.models import Device, DeviceEvent, Vendor
from yiyang.core.audit import Actor
from yiyang.imports import services
from yiyang.imports.models import JobStatus

HEADERS = ["序号", "平台编码", "IMEI", "设备名称", "身份证号", "安装位置", "安装日期"]


def xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["安心科技 2026 年第一批安装清单"])  # a title row above the headers
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def run(user, content, captured):
    with captured(execute=True):
        job = services.start_import(Actor(user=user), "devices", SimpleUploadedFile("设备清单.xlsx", content))
    job.refresh_from_db()
    if job.status == JobStatus.PREVIEWED:
        with captured(execute=True):
            services.confirm_import(Actor(user=user), job.pk)
        job.refresh_from_db()
    return job


def test_a_vendors_list_binds_devices_to_elders_and_refuses_what_it_cannot(
    county_officer, elder, neighbour_elder, django_capture_on_commit_callbacks
):
    vendor = Vendor.objects.create(code="anxin", name="安心科技", region_code="411002000000", county_code="411002",
                                   secret="s")  # fmt: skip
    waiting = DeviceEvent.objects.create(vendor=vendor, vendor_event_id="early-1", external_id="860000000000001",
                                         region_code="411002000000", county_code="411002", kind="sos",
                                         occurred_at=timezone.now(), binding="waiting")  # fmt: skip
    rows = [
        [1, "anxin", "860000000000001", "智能手表", elder.id_number.lower(), "随身佩戴", "2026年3月1日"],
        [2, "anxin", "BTN-77", "一键呼叫", elder.id_number, "卧室床头", ""],
        [3, "anxin", "BTN-78", "按摩椅", elder.id_number, "", ""],  # unknown kind
        [4, "anxin", "BTN-79", "烟感", neighbour_elder.id_number, "厨房", ""],  # another county's elder
        [5, "nobody", "X-1", "烟感", elder.id_number, "", ""],  # unknown vendor
        [6, "anxin", "BTN-77", "一键呼叫", elder.id_number, "", ""],  # the same device again
    ]
    job = run(county_officer, xlsx(rows), django_capture_on_commit_callbacks)
    assert job.status == JobStatus.DONE and (job.created, job.error_count) == (2, 4)
    watch = Device.objects.get(external_id="860000000000001")
    assert (watch.kind, watch.elder_id, watch.installed_on.isoformat()) == ("watch", elder.pk, "2026-03-01")
    waiting.refresh_from_db()
    assert waiting.device_id == watch.pk and waiting.binding == "resolved"
    reasons = {(e.row, e.column): e.reason for e in job.row_errors.all()}
    assert "未知的设备类型" in reasons[(5, "设备类型")]
    assert reasons[(6, "老人身份证号码")] == "管辖范围内没有登记该身份证号码的老人"
    assert "未知的厂商平台编码" in reasons[(7, "厂商平台编码")]
    assert reasons[(8, "设备编号")] == "与第 4 行重复"

    # Re-importing with an empty location and a new one for the button: updated, nothing blanked.
    again = run(county_officer, xlsx([[1, "anxin", "860000000000001", "智能手表", elder.id_number, "", ""],
                                      [2, "anxin", "BTN-77", "一键呼叫", elder.id_number, "客厅", ""]]),
                django_capture_on_commit_callbacks)  # fmt: skip
    assert (again.created, again.updated, again.unchanged) == (0, 1, 1)
    assert Device.objects.get(external_id="BTN-77").installed_where == "客厅"
    assert Device.objects.get(external_id="860000000000001").installed_where == "随身佩戴"


def test_the_neighbour_county_cannot_take_over_a_device(county_officer, neighbour_officer, elder, neighbour_elder,
                                                        django_capture_on_commit_callbacks):  # fmt: skip
    vendor = Vendor.objects.create(code="anxin", name="安心科技", region_code="411002000000", county_code="411002",
                                   secret="s")  # fmt: skip
    Device.objects.create(vendor=vendor, external_id="BTN-1", kind="sos_button", elder=elder,
                          region_code=elder.region_code, county_code="411002")  # fmt: skip
    job = run(neighbour_officer, xlsx([[1, "anxin", "BTN-1", "一键呼叫", neighbour_elder.id_number, "", ""]]),
              django_capture_on_commit_callbacks)  # fmt: skip
    # The home county's vendor is not the neighbour's to name: nothing tells that the device exists.
    assert job.created == job.updated == 0 and "未知的厂商平台编码" in job.row_errors.get().reason
    assert Device.objects.get().elder_id == elder.pk
    client = Client()
    client.force_login(county_officer)
    page = client.get("/exchange/import/devices/").content.decode()
    assert "批量导入报警设备" in page and "设备编号" in page
