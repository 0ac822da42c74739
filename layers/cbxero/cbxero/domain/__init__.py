"""The domain: plain Python with behaviour, no AWS and no HTTP."""
