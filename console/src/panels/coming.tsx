/**
 * PANELS WAITING FOR THEIR API (issue 23): the audit trail (issue 20, `GET /audit`) and the
 * banks' statements and coverage (issue 21, `GET /banks/{id}/statements`,
 * `GET /banks/{id}/coverage`) are being built on other branches. Once they are merged, run
 * `npm run console:api` (the generated client then has those paths), and replace each
 * component below with the real panel, typed by `Schemas['…']`, in the place it is already
 * mounted (invoice detail, transaction detail, banks screen). Until then they say plainly that
 * the data is not available, rather than showing an empty table that would read as "nothing".
 */

/** Mounted on the invoice and transaction pages: the audit entries of that entity. */
export function AuditTrailPanel({ entity }: { entity: 'invoice' | 'transaction'; id: string }) {
  return (
    <section aria-label="Audit trail" class="coming">
      <h2>Audit trail</h2>
      <p class="muted">
        The audit log of this {entity} is not served by this version of the service (GET /audit
        arrives with issue 20). Allocations above show who made or reversed each one.
      </p>
    </section>
  );
}

/** Mounted on the banks screen: statements received, the three-way coverage, missed webhooks. */
export function CoveragePanel({ bankId }: { bankId: string }) {
  return (
    <p class="muted coming" data-bank={bankId}>
      Coverage and missed webhooks: not served by this version (GET /banks/{'{id}'}/coverage arrives
      with issue 21).
    </p>
  );
}
