/**
 * PANEL WAITING FOR ITS API (issue 23): the banks' statements and coverage (issue 21,
 * `GET /banks/{id}/statements`, `GET /banks/{id}/coverage`) are being built on another branch.
 * Once merged, run `npm run console:api` (the generated client then has those paths), and replace
 * the component below with the real panel, typed by `Schemas['…']`, where it is mounted (banks
 * screen), as `panels/audit-trail.tsx` replaced the audit placeholder. Until then it says plainly
 * that the data is not available, rather than showing an empty table that would read as "nothing".
 */

/** Mounted on the banks screen: statements received, the three-way coverage, missed webhooks. */
export function CoveragePanel({ bankId }: { bankId: string }) {
  return (
    <p class="muted coming" data-bank={bankId}>
      Coverage and missed webhooks: not served by this version (GET /banks/{'{id}'}/coverage arrives
      with issue 21).
    </p>
  );
}
