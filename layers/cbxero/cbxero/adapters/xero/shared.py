"""What Xero's two HTTP adapters share."""

TIMEOUT = (5, 30)  # seconds to connect, to read
