"""FHIR R4 export and import of a patient's record, and patient data portability (issue 8).

The mapping, resource by resource, is documented in docs/fhir.md.
"""
