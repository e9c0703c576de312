import logging
import signal
import time

from django.core.management.base import BaseCommand

from yiyang.exchange import peers

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "把本平台的变更推送到上级颐养平台（持续运行；--once 只推送一轮）"

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="每个到期的上级平台推送一次后退出")
        parser.add_argument("--idle", type=float, default=1.0, help="没有新变更时的等待秒数")
        parser.add_argument("--batch", type=int, default=peers.BATCH, help="每次推送的最多变更数")

    def handle(self, *args, once=False, idle=1.0, batch=peers.BATCH, **options):
        stopping = []
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        while not stopping:
            busy = False
            for peer in peers.due_peers():
                try:
                    result = peers.push_once(peer, limit=max(1, min(batch, peers.MAX_CHANGES)))
                    for name, counts in peers.pull_metadata(peer).items():
                        self.stdout.write(f"{peer.name}：下发数据「{name}」{counts}")
                except Exception as error:  # noqa: BLE001 (the pusher outlives one peer's failure; retried)
                    logger.exception("exchange push to %s failed", peer.pk)
                    self.stderr.write(f"{peer.name}：{error.__class__.__name__} {error}")
                    continue
                busy |= result.sent > 0 and not result.error
                if result.error:
                    self.stderr.write(f"{peer.name}：{result.error}")
                elif result.sent:
                    self.stdout.write(
                        f"{peer.name}：推送 {result.sent} 条，应用 {result.applied}，待处理 {result.parked}"
                    )
            if once:
                return
            if not busy:
                time.sleep(idle)
