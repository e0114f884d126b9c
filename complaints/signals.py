"""Signals the complaints domain sends, for apps that keep figures derived from complaints."""
from django.dispatch import Signal

# Sent with sender=Complaint and pks (a frozenset of ids) after a bulk write of complaints commits: bulk updates
# bypass post_save, so an app that caches figures derived from complaints connects here to learn of them.
complaints_bulk_updated = Signal()
