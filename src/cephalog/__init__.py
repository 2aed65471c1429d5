"""cephalog: a clinic system for treating chronic migraine with onabotulinumtoxinA."""

__version__ = "0.1.0"
