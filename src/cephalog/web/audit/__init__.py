"""The clinic admin's audit report: the audit trail read back in words (issue 20.3).

It names staff, roles and patients, so it sits on top of the apps; the trail's write side
stays in `cephalog.audit`, below every app."""
