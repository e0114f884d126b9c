"""Standard Webhooks signatures: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` under the base64-decoded secret."""
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook


def signed_headers(*, secret: str, message_id: str, timestamp: int, body: str) -> dict[str, str]:
    """The webhook-id, webhook-timestamp (Unix seconds) and webhook-signature headers of one attempt."""
    signature = Webhook(secret).sign(message_id, datetime.fromtimestamp(timestamp, tz=UTC), body)
    return {"webhook-id": message_id, "webhook-timestamp": str(timestamp), "webhook-signature": signature}
