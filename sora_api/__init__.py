"""Sora API: a filter-and-weigh scheduling service."""
