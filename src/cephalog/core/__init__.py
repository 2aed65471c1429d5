"""The shared write layer: what every app's actions, forms and API have in common.

- `errors.AppError`: the one application error, carrying its problems field by field;
- `writes.save_validated` / `writes.save_audited`: validate, save and audit in one step
  (`full_clean` where Django's `ValidationError` is what the pages show);
- `time.patient_today` / `time.clinic_now`: the patient's and the clinic's local "today";
- `http`: the one place an `AppError` becomes form errors, an API answer or a message.

It sits above `cephalog.domain` and the audit trail's write side, below every app.
"""
