"""Pushing this platform's changes to an upper platform (a county's Yiyang to its city's; decision 0023).

The outbox is the change feed itself: every save of a shared row writes its `Change` in the same
transaction (feed.py), so a change is pushed exactly when it is committed. `push_once` sends the changes
after the peer's cursor, in order, and moves the cursor only to what the upper platform confirms it has
applied; a failed push is retried with a growing pause. Killing this process, or the upper platform, at
any moment therefore loses nothing (the cursor has not moved) and doubles nothing (the upper platform skips
what it applied already, sync.py).

The push carries full values (ID numbers, phones, addresses): the upper platform is the same bureau's
next level, whose officers see these rows on a single shared platform too, and it registers the elders by
ID number. The link is entered by the platform administrator (it sends full values to another server), signed, and
sent over the address given (https). Before its first push the link is verified: a signed `GET /me` on the
upper platform must name this key, the right `sync` and a region that holds the peer's (`verify`).
"""

import base64
import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import requests
from cryptography.fernet import Fernet, InvalidToken
from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Count, F, Min
from django.utils import timezone

from yiyang.core import audit, signing
from yiyang.core.audit import Actor
from yiyang.core.errors import FieldErrors
from yiyang.core.models import AuditAction
from yiyang.core.regioncodes import contains, region_range_q
from yiyang.core.scoping import SYSTEM_READER, ensure_visible, get_for_action
from yiyang.elders.models import ElderContact
from yiyang.regions.services import requested_region

from . import feed, keys, metadata
from .models import Change, Peer
from .sync import MAX_CHANGES, SYNCED

SYNC_PATH = "/api/v1/exchange/sync"
ME_PATH = "/api/v1/exchange/me"
BATCH = 500
TIMEOUT = 30
HEARTBEAT = timedelta(seconds=60)  # an idle link still reports its state this often
MAX_PAUSE = 300
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


class SecretUnreadable(Exception):
    """The stored secret cannot be decrypted (the platform's key changed): an officer enters it again."""


def _fernet() -> Fernet:
    key = hashlib.sha256(b"exchange-peer-secret\n" + keys.master_key()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable from None


# --- Officers' changes -------------------------------------------------------------------------------


def _clean(actor: Actor, data: dict, *, new: bool) -> dict:
    errors, clean = {}, {}
    clean["name"] = (data.get("name") or "").strip()[:100]
    if not clean["name"]:
        errors["name"] = "必填"
    url = (data.get("base_url") or "").strip().rstrip("/")
    host = urlsplit(url).hostname or ""
    # The push carries full ID numbers: only https, except to this machine (a test or a local tunnel).
    if not (url.startswith("https://") or (url.startswith("http://") and host in LOCAL_HOSTS)) or not host:
        errors["base_url"] = "应为 https:// 开头的平台地址（推送含完整身份证号码，不能明文传输）"
    clean["base_url"] = url[:200]
    clean["key_id"] = (data.get("key_id") or "").strip()
    if not clean["key_id"].startswith(f"{keys.KEY_PREFIX}_") or len(clean["key_id"]) > 40:
        errors["key_id"] = "应为上级平台发给本平台的应用编号（yx_ 开头）"
    secret = (data.get("secret") or "").strip().lower()
    if secret or new:
        if len(secret) != 64 or any(c not in "0123456789abcdef" for c in secret):
            errors["secret"] = "应为上级平台发给本平台的 64 位密钥"
        else:
            clean["secret_encrypted"] = encrypt(secret)
    resources = list(data.get("resources") or [])
    if not resources or set(resources) - set(SYNCED):
        errors["resources"] = f"请选择要推送的数据（{'、'.join(SYNCED)}）"
    clean["resources"] = [r for r in SYNCED if r in resources]
    if new:
        region = requested_region(actor.user, data.get("region") or "", default=None, action="exchange.add_peer")
        clean["region_code"], clean["county_code"] = region, region[:6]
    if errors:
        raise FieldErrors(errors)
    return clean


@transaction.atomic
def add_peer(actor: Actor, data: dict) -> Peer:
    """Register the link; it pushes nothing until `verify` has succeeded (the view calls it at once, the
    pusher before each push while unverified)."""
    peer = Peer.objects.create(**_clean(actor, data, new=True), created_by=actor.db_user)
    ensure_visible(actor.user, peer, "add")
    audit.record(actor, AuditAction.CREATE, peer, changes=audit.diff({}, _shown(peer)))
    return peer


@transaction.atomic
def change_peer(actor: Actor, peer_id: int, data: dict) -> Peer:
    """Re-point the link (address, key, secret, data kinds): the platform administrator's act, like
    registering it. A new address, key or secret is verified again before the next push."""
    peer = get_for_action(Peer.objects, actor.user, "exchange.add_peer", lock=True, pk=peer_id)
    before = _shown(peer)
    clean = _clean(actor, data, new=False)
    new_secret = "secret_encrypted" in clean and not _same_secret(peer, clean["secret_encrypted"])
    if clean["base_url"] != peer.base_url or clean["key_id"] != peer.key_id or new_secret:
        peer.verified_at, peer.verified_as = None, ""
    for name, value in clean.items():
        setattr(peer, name, value)
    peer.failures, peer.next_attempt_at, peer.last_error = 0, None, ""
    peer.save()
    changes = audit.diff(before, _shown(peer))
    if new_secret:
        changes["secret"] = ["", "已更换"]
    audit.record(actor, AuditAction.UPDATE, peer, changes=changes)
    return peer


@transaction.atomic
def set_active(actor: Actor, peer_id: int, active: bool) -> Peer:
    peer = get_for_action(Peer.objects, actor.user, "exchange.change_peer", lock=True, pk=peer_id)
    if peer.is_active != active:
        peer.is_active, peer.failures, peer.next_attempt_at = active, 0, None
        peer.save(update_fields=["is_active", "failures", "next_attempt_at"])
        audit.record(actor, AuditAction.UPDATE, peer, changes={"is_active": [not active, active]})
    return peer


def resend_all(actor: Actor, peer_id: int) -> int:
    """Queue every row of the peer's region and resources again (全量补推): for registers loaded by
    spreadsheet (bulk loads write no changes) and for a resource added to the link later. The upper
    platform matches rows it has already, so a re-send updates, never doubles."""
    peer = get_for_action(Peer.objects, actor.user, "exchange.change_peer", pk=peer_id)
    written = 0
    for name in peer.resources:  # SYNCED order: facilities before their stays, elders before assessments
        resource = feed.RESOURCES[name]
        model = apps.get_model(resource.model)
        rows = model._default_manager.visible_to(actor.user, "view").filter(
            region_range_q("region_code", peer.region_code)
        )
        written += feed.record_all(resource, rows.order_by("pk"))
    audit.record(actor, AuditAction.UPDATE, peer, object_repr=f"全量补推到「{peer.name}」：{written} 条",
                 changes={"resend": [None, written]})  # fmt: skip
    return written


def _same_secret(peer: Peer, token: str) -> bool:
    try:
        return decrypt(peer.secret_encrypted) == decrypt(token)
    except SecretUnreadable:
        return False


def verify_now(actor: Actor, peer_id: int, get=None) -> tuple[Peer, str]:
    """An officer's 验证连接: check the link at once, whatever its pause; the peer and its problem or ""."""
    peer = get_for_action(Peer.objects, actor.user, "exchange.change_peer", pk=peer_id)
    return peer, verify(peer, get)


def _shown(peer: Peer) -> dict:
    return {"name": peer.name, "base_url": peer.base_url, "key_id": peer.key_id, "resources": peer.resources,
            "region_code": peer.region_code, "is_active": peer.is_active}  # fmt: skip


# --- Pushing -----------------------------------------------------------------------------------------


def _changes(peer: Peer):
    # The sender is the platform itself (a scheduled process, no user), reading its own region's changes.
    return Change.objects.visible_to(SYSTEM_READER, "view").filter(
        region_range_q("region_code", peer.region_code), resource__in=peer.resources
    )


def backlog(peer: Peer) -> dict:
    """How many changes wait to be pushed, and since when."""
    return _changes(peer).filter(id__gt=peer.cursor).aggregate(count=Count("id"), oldest=Min("at"))


def next_batch(peer: Peer, limit: int = BATCH) -> dict | None:
    """The body of the next push, or None while another transaction still numbers changes (feed.py)."""
    bound = feed.safe_bound()
    if bound is None:
        return None
    rows = list(
        _changes(peer)
        .filter(id__gt=peer.cursor, id__lte=bound)
        .order_by("id")
        .values_list("id", "resource", "object_id", "op", "at")[: limit + 1]
    )
    more = len(rows) > limit
    rows = rows[:limit]
    through = rows[-1][0] if more else max(bound, peer.cursor)
    data = feed._current_rows(SYSTEM_READER, rows, masked=False)
    _attach_contacts(data)
    changes, seen = [], set()
    for seq, name, object_id, op, _at in rows:
        # `data` is each row's current state, so only a row's first change in the batch is sent (with that
        # state, and its deletion if it is gone): its later changes would repeat it, and sending it at its
        # first place keeps rows that depend on it (an assessment after its elder) behind it.
        if (name, object_id) in seen and op != "delete":
            continue
        seen.add((name, object_id))
        row = None if op == "delete" else data.get((name, object_id))
        changes.append({"seq": seq, "resource": name, "id": object_id, "op": op, "data": row})
    return {
        "changes": changes, "through": through, "head": bound,
        "pending": _changes(peer).filter(id__gt=through).count() if more else 0,
        "oldest_pending_at": rows[0][4] if rows else None,
    }  # fmt: skip


CONTACT_FIELDS = ("name", "relation", "phone", "phone_alt", "is_guardian")


def _attach_contacts(data: dict) -> None:
    """Each pushed elder carries its contact list in order, full values: the city's hotline calls them.
    Editing contacts saves the elder (elders.services), so a changed list is pushed with its elder."""
    elders = {int(object_id): row for (name, object_id), row in data.items() if name == "elders"}
    for row in elders.values():
        row["contacts"] = []
    contacts = ElderContact.objects.visible_to(SYSTEM_READER, "view").filter(elder_id__in=list(elders))
    for elder_id, *values in contacts.order_by("elder_id", "pk").values_list("elder_id", *CONTACT_FIELDS):
        elders[elder_id]["contacts"].append(dict(zip(CONTACT_FIELDS, values, strict=True)))


def _signed(peer: Peer, method: str, target: str, body: bytes = b"") -> tuple[int, dict]:
    """One request to the upper platform, signed as docs/exchange.md says; its status and JSON answer."""
    secret = decrypt(peer.secret_encrypted)
    timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
    signature = signing.sign(secret, method, target, timestamp, nonce, body, hash_body=True)
    headers = {"X-Yiyang-App": peer.key_id, "X-Yiyang-Timestamp": timestamp, "X-Yiyang-Nonce": nonce,
               "X-Yiyang-Signature": signature, "Content-Type": "application/json"}  # fmt: skip
    answer = requests.request(method, peer.base_url + target, data=body or None, headers=headers, timeout=TIMEOUT)
    try:
        return answer.status_code, answer.json()
    except ValueError:
        return answer.status_code, {"message": answer.text[:200]}


def _post(peer: Peer, body: bytes) -> tuple[int, dict]:
    return _signed(peer, "POST", SYNC_PATH, body)


def _get(peer: Peer, target: str) -> tuple[int, dict]:
    return _signed(peer, "GET", target)


# The refusal codes of signed.py, said for the county's officer who reads them.
REFUSED = {
    "signature": "上级平台不认可本平台的签名：应用编号或密钥有误，或该应用已被停用",
    "timestamp": "上级平台认为请求时间超出允许范围：请核对两端服务器的时钟",
    "nonce": "上级平台拒绝了重复的请求",
    "scope": "上级平台给本平台的应用没有所需权限",
    "rate_limited": "超过上级平台给本平台的请求频率上限",
}


def _me_problem(peer: Peer, status: int, answer: dict) -> str:
    if status != 200:
        code = answer.get("code", "")
        reason = REFUSED.get(code) or answer.get("message") or ""
        return f"验证失败（HTTP {status}{' ' + code if code else ''}）：{reason}".rstrip("：")
    if answer.get("key_id") != peer.key_id:
        return "验证失败：上级平台答复的应用编号与填写的不一致，该地址可能不是发放此编号的平台"
    if answer.get("facility_code"):
        return "验证失败：该应用编号属于一家机构的系统，不是给下级颐养平台的"
    if "sync" not in (answer.get("write_resources") or []):
        return "验证失败：上级平台给本平台的应用没有「下级颐养平台同步推送」（sync）权限，请上级平台授予后再验证"
    upper_region = str(answer.get("region_code") or "")
    if not upper_region or not contains(upper_region, peer.region_code):
        return (f"验证失败：上级平台给本平台的应用范围是区划 {upper_region or '（空）'}，"
                f"不包含本平台推送的区划 {peer.region_code}")  # fmt: skip
    return ""


def verify(peer: Peer, get=None) -> str:
    """Ask the upper platform who this link is (signed `GET /me`) and whether it may push there; mark the
    peer verified or record why not. Returns the problem, or "" when verified. Never raises for the
    upper platform's answers: a wrong key is an officer's problem to read, not a crash."""
    now = timezone.now()
    try:
        status, answer = (get or _get)(peer, ME_PATH)
        problem = _me_problem(peer, status, answer if isinstance(answer, dict) else {})
    except SecretUnreadable:
        problem = "保存的密钥无法解密（平台密钥已更换）：请重新填写密钥"
    except requests.RequestException as error:
        problem = f"无法连接上级平台 {peer.base_url}：{error.__class__.__name__}"
    if problem:
        failures = peer.failures + 1
        Peer.objects.filter(pk=peer.pk).update(
            verified_at=None, verified_as="", failures=failures, last_attempt_at=now, last_error=problem[:300],
            next_attempt_at=now + timedelta(seconds=min(2**failures, MAX_PAUSE)),
        )  # fmt: skip
    else:
        Peer.objects.filter(pk=peer.pk).update(
            verified_at=now, verified_as=str(answer.get("name") or "")[:100], failures=0, last_attempt_at=now,
            next_attempt_at=None, last_error="",
        )  # fmt: skip
    peer.refresh_from_db()
    return problem


@dataclass
class Pushed:
    sent: int = 0
    applied: int = 0
    parked: int = 0
    error: str = ""


def push_once(peer: Peer, post=_post, limit: int = BATCH, get=None) -> Pushed:
    """One push of up to BATCH changes; the cursor moves only to what the upper platform confirms. An
    unverified link is verified first, and pushes nothing until that succeeds."""
    if peer.verified_at is None:
        problem = verify(peer, get)
        if problem:
            return Pushed(error=problem)
    now = timezone.now()
    body = next_batch(peer, limit)
    if body is None:
        return Pushed()
    if (
        not body["changes"]
        and body["through"] == peer.cursor
        and peer.last_success_at
        and now - peer.last_success_at < HEARTBEAT
    ):
        return Pushed()
    assert len(body["changes"]) <= MAX_CHANGES
    try:
        status, answer = post(peer, json.dumps(body, cls=DjangoJSONEncoder, ensure_ascii=False).encode())
        if status != 200:
            raise RuntimeError(f"HTTP {status} {answer.get('code', '')} {answer.get('message', '')}".strip())
        confirmed = int(answer["applied_through"])
        if confirmed > body["through"]:
            # The upper platform claims more than was sent (a reused key, a restored database): moving the
            # cursor there would skip changes never sent, so the push stops for a person to look.
            raise RuntimeError(
                f"上级平台确认的序号 {confirmed} 大于本次推送的 {body['through']}：请核对两端的数据与应用编号"
            )
    except SecretUnreadable:
        return _failed(peer, now, "保存的密钥无法解密（平台密钥已更换）：请重新填写密钥")
    except (requests.RequestException, RuntimeError, KeyError, ValueError, TypeError) as error:
        return _failed(peer, now, str(error) or error.__class__.__name__)
    Peer.objects.filter(pk=peer.pk).update(
        cursor=confirmed if confirmed > peer.cursor else F("cursor"),
        pushed_total=F("pushed_total") + len(body["changes"]),
        failures=0, last_attempt_at=now, last_success_at=now, next_attempt_at=None, last_error="",
    )  # fmt: skip
    peer.refresh_from_db()
    if body["changes"]:
        # Full values left the platform: one entry per push, with what and how many.
        sent = {name: sum(c["resource"] == name for c in body["changes"]) for name in SYNCED}
        audit.record(
            Actor.system(), AuditAction.EXPORT, peer, region_code=peer.region_code,
            object_repr=f"向上级平台「{peer.name}」推送 {len(body['changes'])} 条变更（含完整身份证号码等）",
            changes={name: [None, n] for name, n in sent.items() if n},
        )  # fmt: skip
    return Pushed(len(body["changes"]), answer.get("applied", 0), answer.get("parked", 0))


def _failed(peer: Peer, now, message: str) -> Pushed:
    failures = peer.failures + 1
    pause = min(2**failures, MAX_PAUSE)
    Peer.objects.filter(pk=peer.pk).update(
        failures=failures, last_attempt_at=now, next_attempt_at=now + timedelta(seconds=pause), last_error=message[:300]
    )
    peer.refresh_from_db()
    return Pushed(error=message)


def due_peers():
    now = timezone.now()
    return [
        p for p in Peer.objects.visible_to(SYSTEM_READER, "view").filter(is_active=True)
        if p.next_attempt_at is None or p.next_attempt_at <= now
    ]  # fmt: skip


# --- What the upper platform publishes down --------------------------------------------------------------

METADATA_PATH = "/api/v1/exchange/metadata"


def pull_metadata(peer: Peer, get=_get, *, force: bool = False) -> dict:
    """Ask the upper platform for the sets that changed, and apply each whole (metadata.py). Asked once per
    HEARTBEAT; a set that fails to apply is kept at its old version and named in `metadata_error`."""
    now = timezone.now()
    if not force and peer.metadata_checked_at and now - peer.metadata_checked_at < HEARTBEAT:
        return {}
    have = ",".join(f"{name}:{version}" for name, version in sorted(peer.metadata_versions.items()))
    target = METADATA_PATH + (f"?have={have}" if have else "")
    applied, errors = {}, []
    try:
        status, answer = get(peer, target)
        if status != 200:
            raise RuntimeError(f"HTTP {status} {answer.get('code', '')} {answer.get('message', '')}".strip())
        sets = answer["sets"]
    except SecretUnreadable:
        errors.append("保存的密钥无法解密：请重新填写密钥")
        sets = []
    except (requests.RequestException, RuntimeError, KeyError, ValueError, TypeError) as error:
        errors.append(str(error) or error.__class__.__name__)
        sets = []
    actor = Actor.system()
    versions = dict(peer.metadata_versions)
    for published in sets if isinstance(sets, list) else []:
        name = published.get("name") if isinstance(published, dict) else None
        try:
            applied[name] = metadata.apply_set(actor, peer.region_code, published)
            versions[name] = str(published["version"])
        except FieldErrors as error:
            fields = "；".join(f"{k} {v}" for k, v in error.fields.items())
            errors.append(f"「{name}」未应用：{fields}")
        except Exception as error:  # noqa: BLE001 (a malformed set is named, never stops the pusher)
            errors.append(f"「{name}」未应用：内容格式有误（{error.__class__.__name__}）")
    Peer.objects.filter(pk=peer.pk).update(
        metadata_versions=versions, metadata_checked_at=now, metadata_error="；".join(errors)[:300]
    )
    peer.refresh_from_db()
    return applied
