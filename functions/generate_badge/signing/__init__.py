"""Signing and verifying the credentials generate-badge issues: keys, did:key, Data Integrity proofs, VC-JWTs.

The modules here import cryptography, pyld and joserfc at their top; generate-badge imports
them only once signing is configured or a credential is verified, so a cold start without
keys pays for none of them. ``baking.py`` (credentials in badge images) uses the standard
library only: serving a baked SVG loads none of them either.
"""
