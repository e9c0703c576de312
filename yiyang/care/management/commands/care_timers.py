from django.core.management.base import BaseCommand

from yiyang.care import services, tasks


class Command(BaseCommand):
    help = "触发停机期间到期的报警升级步骤，并为下一个到期时间排队（make run 启动时执行）"

    def handle(self, *args, **options):
        fired = services.fire_due()
        tasks.schedule_next()
        self.stdout.write(f"已触发 {fired} 个到期的升级步骤")
        made = services.sweep_devices()
        self.stdout.write(f"设备维护工单：心跳超时 {made['offline']} 台，电量低 {made['battery']} 台")
        tasks.schedule_sweep()
