/**
 * Client traffic for fault-injection tests: a signed-in user's mixed reads and uploads
 * over real HTTP, each answer recorded by its kind (status, problem code, whether a 503
 * carried Retry-After), so a test can assert that nothing but answers and retry hints
 * came back while the database was being taken away.
 */
import type pg from 'pg';

/** Outcome ("200", "503 database_unavailable retry-after", "network error: …") → count. */
export type TrafficLog = Map<string, number>;

function record(log: TrafficLog, outcome: string): void {
  log.set(outcome, (log.get(outcome) ?? 0) + 1);
}

async function outcomeOf(response: Response): Promise<string> {
  if (response.ok) {
    await response.arrayBuffer();
    return String(response.status);
  }
  const body = (await response.json().catch(() => ({}))) as { code?: string };
  return `${response.status} ${body.code ?? '?'}${response.headers.get('retry-after') ? ' retry-after' : ''}`;
}

/** One request, its outcome recorded; a thrown fetch (the process gone, a reset) is an outcome too. */
export async function request(log: TrafficLog, url: string, init: RequestInit): Promise<{ status: number; body: unknown } | undefined> {
  try {
    const response = await fetch(url, init);
    const copy = response.clone();
    record(log, await outcomeOf(response));
    return { status: copy.status, body: await copy.json().catch(() => undefined) };
  } catch (error) {
    record(log, `network error: ${(error as Error).message}`);
    return undefined;
  }
}

/** Reads of a profile's data (profiles, documents, journey, alerts) in turn, while `going()`. */
export async function trafficLoop(base: string, token: string, profileId: string, going: () => boolean, log: TrafficLog): Promise<void> {
  const paths = [
    '/api/profiles',
    `/api/profiles/${profileId}/documents`,
    `/api/healthcare-journey?profile=${profileId}`,
    `/api/profiles/${profileId}/alerts`,
    `/api/profiles/${profileId}`,
  ];
  for (let i = 0; going(); i++) {
    await request(log, `${base}${paths[i % paths.length]}`, { headers: { Authorization: `Bearer ${token}` } });
  }
}

/**
 * Uploads a file as a client would: again after a 503 (a short pause, as its Retry-After
 * asks), until it is accepted; returns the document id.
 */
export async function uploadUntilAccepted(
  base: string,
  token: string,
  profileId: string,
  file: { name: string; bytes: Uint8Array },
  log: TrafficLog,
  attempts = 40,
): Promise<string> {
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const form = new FormData();
    form.append('file', new Blob([file.bytes], { type: 'application/pdf' }), file.name);
    const answer = await request(log, `${base}/api/profiles/${profileId}/documents`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}` },
      body: form,
    });
    if (answer?.status === 202) return (answer.body as { id: string }).id;
    if (answer && answer.status !== 503) throw new Error(`upload of ${file.name} answered ${answer.status}`);
    // Pacing a client's retry, not waiting for a condition.
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`upload of ${file.name} was never accepted`);
}

/** Per document of a profile: its file name, whether it is a duplicate, and how many records cite it. */
export async function documentRecordCounts(pool: pg.Pool, profileId: string): Promise<{ fileName: string; duplicate: boolean; records: number }[]> {
  const { rows } = await pool.query<{ file_name: string; duplicate: boolean; records: number }>(
    `select d.file_name, d.duplicate_of is not null as duplicate,
            ((select count(*) from public.observations r where r.source_document_id = d.id)
           + (select count(*) from public.medications r where r.source_document_id = d.id)
           + (select count(*) from public.conditions r where r.source_document_id = d.id)
           + (select count(*) from public.allergies r where r.source_document_id = d.id)
           + (select count(*) from public.immunizations r where r.source_document_id = d.id)
           + (select count(*) from public.encounters r where r.source_document_id = d.id)
           + (select count(*) from public.procedures r where r.source_document_id = d.id))::int as records
     from public.documents d where d.profile_id = $1::uuid order by d.file_name, d.created_at`,
    [profileId],
  );
  return rows.map((r) => ({ fileName: r.file_name, duplicate: r.duplicate, records: r.records }));
}
