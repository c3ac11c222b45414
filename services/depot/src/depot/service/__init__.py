"""The write workflows: idempotency, upload -> commit -> reconcile, delete.

The rule for uncertain outcomes lives here and nowhere else: when a write's answer is
lost (a timeout, a dropped connection, a retry that fails its own condition because the
first attempt was applied), re-read with a strongly consistent read and answer from what
is stored; never delete stored content on doubt; leave unreferenced objects to the
reconciler (`depot.sweeper`).
"""
