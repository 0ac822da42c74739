"""Adapters: the ports implemented against AWS and HTTP; each takes its client when built."""
