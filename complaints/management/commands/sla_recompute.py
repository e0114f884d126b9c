"""`manage.py sla_recompute`: recompute the due times of SLA targets not yet achieved."""
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from complaints.models import UNACHIEVED_TARGETS, Complaint
from complaints.services import sla_recompute


class Command(BaseCommand):
    help = "Recompute the due times of SLA targets not yet achieved from the current policies, calendars and holidays."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch-size", type=int, default=1000, help="Complaints per transaction (default 1000).")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, batch_size: int, no_progress: bool, **options) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        total = Complaint.objects.filter(UNACHIEVED_TARGETS).count()
        self.stderr.ending = ""  # tqdm redraws its line with carriage returns
        with tqdm(total=total, unit=" complaints", desc="sla_recompute", disable=no_progress, file=self.stderr) as bar:
            result = sla_recompute(batch_size=batch_size, progress=bar.update)
        self.stdout.write(
            f"{result.checked} complaints with a target not yet achieved; due times moved on {result.changed}."
        )
