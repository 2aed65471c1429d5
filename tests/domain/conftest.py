"""Domain tests: plain Python, no Django, no database.

Run with `pytest tests/domain -p no:django`; nothing here needs
DJANGO_SETTINGS_MODULE.
"""
